// keyhouse console script. Every page works without it; it adds the copy
// buttons (Clipboard API), the live character counts, the Delete button
// that waits for the typed client ID, modal dialogs with focus moved
// into them and back out, server errors that leave once their field is
// changed, and a new key that stays on screen until it is described or
// its dialog closed (after asking whether it was copied).
(function () {
  "use strict";

  var live = document.createElement("div");
  live.className = "visually-hidden";
  live.setAttribute("aria-live", "polite");
  document.body.appendChild(live);

  function say(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  // A page answering a form that showed a secret (a new API key) replaces
  // its address, so that reloading asks the server for the plain page.
  if (document.body.dataset.cleanUrl) {
    history.replaceState(null, "", document.body.dataset.cleanUrl);
  }

  // Dialogs. Without the script, the links that open them load the page
  // with the dialog rendered open; with it, they open in place, modal.
  var openers = new WeakMap();

  function focusInto(dialog) {
    var target = dialog.querySelector("[autofocus]") ||
      dialog.querySelector("input:not([type=hidden]), select, textarea, button, a[href]");
    if (target) {
      target.focus();
    }
  }

  function openDialog(dialog, opener) {
    if (opener) {
      openers.set(dialog, opener);
    }
    if (dialog.open) {
      dialog.close();
    }
    dialog.showModal();
    focusInto(dialog);
  }

  document.querySelectorAll("dialog").forEach(function (dialog) {
    var openedByServer = dialog.open;
    dialog.addEventListener("close", function () {
      var back = openers.get(dialog) || document.getElementById(dialog.dataset.returnFocus || "");
      if (back) {
        back.focus();
      }
      if (openedByServer) {
        // The address opened this dialog: forget that, so that reloading
        // does not open it again.
        var cancel = dialog.querySelector("[data-close-dialog][href]");
        if (cancel) {
          history.replaceState(null, "", cancel.getAttribute("href"));
        }
        openedByServer = false;
      }
    });
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.openDialog);
      if (dialog) {
        event.preventDefault();
        openDialog(dialog, opener);
      }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
  });

  // A dialog the server rendered open becomes modal.
  var open = document.querySelector("dialog[open]");
  if (open) {
    openDialog(open, null);
  }

  // Copy buttons.
  function selectText(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var source = document.getElementById(button.dataset.copy);
    if (!source) {
      return;
    }
    var label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    function show(text, ok) {
      button.textContent = text;
      if (ok) {
        button.dataset.copied = "true";
      }
      say(ok ? "Copied to the clipboard." : "Copying failed: the text is selected, copy it with the keyboard.");
      window.setTimeout(function () { button.textContent = label; }, 2500);
    }
    if (!navigator.clipboard || !window.isSecureContext) {
      selectText(source);
      show("Select and copy", false);
      return;
    }
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      show("Copied", true);
    }, function () {
      selectText(source);
      show("Select and copy", false);
    });
  });

  // Live character counts, in Unicode characters as the server counts.
  document.querySelectorAll("[data-count]").forEach(function (input) {
    var max = Number(input.dataset.count);
    var out = document.getElementById(input.id + "-count");
    if (!out) {
      return;
    }
    var over = false;
    function update() {
      var n = Array.from(input.value).length;
      out.textContent = n + " / " + max;
      out.classList.toggle("count-over", n > max);
      if ((n > max) !== over) {
        over = n > max;
        say(over ? "Over the limit: " + n + " of " + max + " characters." : "Within the limit.");
      }
    }
    input.addEventListener("input", update);
    update();
  });

  // Delete stays disabled until the typed text matches exactly; the
  // server checks again.
  document.querySelectorAll("input[data-match]").forEach(function (input) {
    var button = input.form && input.form.querySelector("[data-match-submit]");
    if (!button) {
      return;
    }
    function update() {
      button.disabled = input.value !== input.dataset.match;
    }
    input.addEventListener("input", update);
    update();
  });

  // A server error under a field goes once the field is changed: it was
  // about the old value.
  function clearFieldError(event) {
    var field = event.target;
    if (!field.getAttribute || field.getAttribute("aria-invalid") !== "true") {
      return;
    }
    field.removeAttribute("aria-invalid");
    (field.getAttribute("aria-describedby") || "").split(/\s+/).forEach(function (id) {
      var node = id && document.getElementById(id);
      if (node && node.classList.contains("field-error")) {
        node.hidden = true;
      }
    });
  }
  document.addEventListener("input", clearFieldError);
  document.addEventListener("change", clearFieldError);

  // The "API key generated" dialog. Its description is saved in place, so
  // that a refused one leaves the key on screen with the message under
  // the field; closing asks first whether the key was copied.
  var generated = document.getElementById("generated-dialog");
  if (generated) {
    var keyPanel = document.getElementById("generated-main");
    var leavePanel = document.getElementById("generated-leave");
    var describe = generated.querySelector("form[data-describe]");
    var describeError = document.getElementById("generated-description-error");
    var describeField = document.getElementById("generated-description");

    var askLeave = function () {
      keyPanel.hidden = true;
      leavePanel.hidden = false;
      document.getElementById("generated-leave-stay").focus();
    };
    var stay = function () {
      leavePanel.hidden = true;
      keyPanel.hidden = false;
      document.getElementById("copy-api-key").focus();
    };
    generated.addEventListener("cancel", function (event) {
      event.preventDefault(); // Escape asks too
      if (leavePanel.hidden) {
        askLeave();
      } else {
        stay();
      }
    });
    generated.addEventListener("click", function (event) {
      if (event.target.closest("[data-generated-close]")) {
        event.preventDefault();
        askLeave();
      } else if (event.target.closest("#generated-leave-stay")) {
        event.preventDefault();
        stay();
      }
    });

    var refuse = function (text) {
      describeError.textContent = text;
      describeError.hidden = false;
      describeField.setAttribute("aria-invalid", "true");
      describeField.setAttribute("aria-describedby", "generated-description-hint generated-description-count generated-description-error");
      describeField.focus();
    };
    describe.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = describe.querySelector("button[type=submit]");
      button.disabled = true;
      fetch(describe.action, {
        method: "POST", credentials: "same-origin",
        body: new URLSearchParams(new FormData(describe))
      }).then(function (response) {
        if (response.ok) {
          window.location.assign(response.url); // the page that says it is saved
          return null;
        }
        return response.text().then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var message = page.querySelector("dialog[open] .field-error") || page.querySelector(".alert") ||
            page.querySelector(".card-center .lead");
          refuse(message ? message.textContent.trim() : "The description was not saved (error " + response.status + ").");
        });
      }, function () {
        refuse("The description was not saved: keyhouse could not be reached. Try again.");
      }).then(function () {
        button.disabled = false;
      });
    });
  }
})();
