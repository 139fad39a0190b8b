"""A small Content-Security-Policy header, configured by ``settings.CONTENT_SECURITY_POLICY``."""

from django.conf import settings


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
