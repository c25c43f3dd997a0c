/* Developer portal: copy buttons, the kind-dependent fields of the app form, the scope pickers
   and the playground's app chooser. Loaded as a file (never inline): the CSP forbids inline script. */
(function () {
  "use strict";

  function announce(button, text) {
    var status = document.querySelector(".copy-status");
    if (status) status.textContent = text;
    var label = button.firstChild;
    var before = label.nodeValue;
    label.nodeValue = "Copied";
    window.setTimeout(function () { label.nodeValue = before; }, 2000);
  }

  function copyFallback(target) {
    var range = document.createRange();
    if (target.select) {
      target.select();
    } else {
      range.selectNodeContents(target);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
    }
    var done = document.execCommand && document.execCommand("copy");
    window.getSelection().removeAllRanges();
    return done;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) return;
    var text = target.value !== undefined ? target.value : target.textContent;
    var what = button.textContent.replace("Copy", "").trim() || "text";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { announce(button, "Copied " + what + "."); },
        function () { if (copyFallback(target)) announce(button, "Copied " + what + "."); }
      );
    } else if (copyFallback(target)) {
      announce(button, "Copied " + what + ".");
    }
  });

  /* Show only the fields that apply to the chosen kind of app; hidden ones are disabled, so
     what the browser cannot see is not sent either. */
  function applyKind(form, kind) {
    form.querySelectorAll("[data-kinds]").forEach(function (block) {
      var shown = block.getAttribute("data-kinds").split(" ").indexOf(kind) !== -1;
      block.hidden = !shown;
      block.querySelectorAll("input, textarea, select").forEach(function (input) {
        input.disabled = !shown;
      });
    });
  }

  document.querySelectorAll("[data-kind-form]").forEach(function (form) {
    var checked = form.querySelector("input[name=kind]:checked");
    if (checked) applyKind(form, checked.value);
    form.addEventListener("change", function (event) {
      if (event.target.name === "kind") applyKind(form, event.target.value);
    });
  });
  document.querySelectorAll("form[data-kind]").forEach(function (form) {
    applyKind(form, form.getAttribute("data-kind"));
  });

  /* A required scope is one the app may ask for: keep the two boxes consistent. */
  document.addEventListener("change", function (event) {
    var box = event.target;
    var form = box.form;
    if (!form) return;
    if (box.hasAttribute("data-requires") && box.checked) {
      var allowed = form.querySelector('input[data-scope="' + box.getAttribute("data-requires") + '"]');
      if (allowed) allowed.checked = true;
    }
    if (box.hasAttribute("data-scope") && !box.checked) {
      var required = form.querySelector('input[data-requires="' + box.getAttribute("data-scope") + '"]');
      if (required) required.checked = false;
    }
    if (box.hasAttribute("data-autosubmit")) form.submit();
  });
})();
