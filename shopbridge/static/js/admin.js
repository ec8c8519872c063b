/* Small enhancements for the admin. Every page works without this file; it only adds comfort. */
(function () {
  "use strict";

  // Ask before destructive actions (archive, revoke, deactivate) on buttons carrying data-confirm.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // "Copy" buttons for secrets shown once (API tokens). Hidden without JavaScript, where selecting works.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        var label = button.textContent;
        button.textContent = button.getAttribute("data-copied") || "Copied";
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });

  // Show the chosen image files' names and sizes under the picker, so a phone user sees what will upload.
  document.querySelectorAll("input[type=file][multiple]").forEach(function (input) {
    var list = document.createElement("ul");
    list.className = "file-list";
    input.insertAdjacentElement("afterend", list);
    input.addEventListener("change", function () {
      list.textContent = "";
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + " (" + Math.max(1, Math.round(file.size / 1024)) + " KB)";
        list.appendChild(item);
      });
    });
  });
})();

/* Product form: as an option is named (Size, Colour…), label and reveal its value input in every variant. */
(function () {
  "use strict";
  [1, 2, 3].forEach(function (n) {
    var nameInput = document.getElementById("option" + n + "_name");
    if (!nameInput) { return; }
    nameInput.addEventListener("input", function () {
      document.querySelectorAll('.option-slot[data-slot="' + n + '"]').forEach(function (slot) {
        var label = slot.querySelector("label");
        if (!label.hasAttribute("data-default")) { label.setAttribute("data-default", label.textContent); }
        var name = nameInput.value.trim();
        label.textContent = name || label.getAttribute("data-default");
        if (name) { slot.hidden = false; }
      });
    });
  });
})();
