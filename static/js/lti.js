// Posts a deep linking response back to the platform as soon as the page is shown: the
// form holds the signed response, and its button does the same without script.
const form = document.getElementById("lti-return");
if (form) form.submit();
