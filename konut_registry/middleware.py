"""Project middleware: the Content-Security-Policy header (``settings.CONTENT_SECURITY_POLICY``) and
a limit on the query string's length (``settings.MAX_QUERY_STRING_BYTES``)."""

from django.conf import settings
from django.core.exceptions import SuspiciousOperation


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response


class ChosenLanguageMiddleware:
    """Bahasa Indonesia unless the user chose another language with the footer's switch.

    Django's LocaleMiddleware follows the browser's Accept-Language header, and many office PCs run
    an English browser: the registry would greet Indonesian operators in English. Here only the
    explicit choice (the language cookie set by ``set_language``) counts; otherwise LANGUAGE_CODE.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class QueryStringTooLong(SuspiciousOperation):
    """A query string longer than any page of the registry sends (a pasted file, a probe)."""


class QueryStringLimitMiddleware:
    """Answer 400 (the Indonesian ``400.html``) to a query string over ``settings.MAX_QUERY_STRING_BYTES``.

    Behind nginx or gunicorn such a request line never arrives (they stop at 4-8 kB), but the
    development server and direct WSGI callers pass it on, and a 100 kB search then reaches a
    database ``LIKE`` (SQLite refuses patterns over 50,000 bytes with an error).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = getattr(settings, "MAX_QUERY_STRING_BYTES", 0)

    def __call__(self, request):
        if self.limit and len(request.META.get("QUERY_STRING", "")) > self.limit:
            raise QueryStringTooLong("Query string of %d bytes" % len(request.META["QUERY_STRING"]))
        return self.get_response(request)
