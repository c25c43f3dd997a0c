// OAuth 2.0 Form Post Response Mode: send the authorization response on at once. Without
// JavaScript the page's Continue button does the same.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("form-post-response");
  if (form) {
    form.submit();
  }
});
