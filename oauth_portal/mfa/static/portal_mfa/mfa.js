// After a passkey is registered, show it in the list: reload the page (or go on to `next`).
document.addEventListener("otp_webauthn.register_complete", function () {
  var next = document.querySelector("input[name='next']");
  window.location.href = next && next.value ? next.value : window.location.pathname.replace(/passkeys\/add\/$/, "");
});
