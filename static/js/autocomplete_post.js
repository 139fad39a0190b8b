/* The admin's pickers (select2) ask for families and members by POST, so that a NIK or No KK typed
 * in them is sent in the body, never in an address (server logs, browser history). Django checks a
 * POST's CSRF token: this sends the page's token with the pickers' requests. A static file: the
 * content security policy refuses inline script. */
(function () {
  "use strict";
  function token() {
    var field = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (field) {
      return field.value;
    }
    var cookie = document.cookie.split("; ").filter(function (part) { return part.indexOf("csrftoken=") === 0; })[0];
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }
  function install() {
    if (typeof django === "undefined" || !django.jQuery) {
      return;
    }
    django.jQuery.ajaxPrefilter(function (options, original, request) {
      if (!options.crossDomain && String(options.type).toUpperCase() === "POST") {
        request.setRequestHeader("X-CSRFToken", token());
      }
    });
  }
  // The admin's media may list this file before its jQuery: installed once every script has run,
  // before anyone can type in a picker.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", install);
  } else {
    install();
  }
})();
