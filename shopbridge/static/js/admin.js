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

/* After a refused save, take the person straight to the first field that needs fixing. */
(function () {
  "use strict";
  var first = document.querySelector("[aria-invalid=true]");
  if (first) { first.focus({ preventScroll: false }); }
})();

/* Product form: add and remove variant rows in the page instead of a round trip to the server (which is what
   the same buttons do without JavaScript). Keeps chosen image files, which a reload would forget. */
(function () {
  "use strict";
  var list = document.querySelector(".variant-list");
  var addButton = document.querySelector("button[name=add_variant]");
  if (!list || !addButton) { return; }

  function nextIndex() {
    var highest = -1;
    list.querySelectorAll("input[name^='variants-']").forEach(function (input) {
      highest = Math.max(highest, parseInt(input.name.split("-")[1], 10));
    });
    return highest + 1;
  }

  function renumberLegends() {
    list.querySelectorAll(".variant-row legend").forEach(function (legend, position) {
      legend.textContent = legend.textContent.replace(/\d+/, String(position + 1));
    });
  }

  function blankRow(template, index) {
    var row = template.cloneNode(true);
    row.querySelectorAll(".errors").forEach(function (ul) { ul.remove(); });
    row.querySelectorAll(".has-error").forEach(function (f) { f.classList.remove("has-error"); });
    row.querySelectorAll("[name^='variants-'], [id^='variants-'], label[for^='variants-']").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/^variants-\d+-/, "variants-" + index + "-")); }
      });
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
      if (el.tagName === "INPUT") { el.value = el.name.endsWith("-stock") ? "0" : ""; }
    });
    return row;
  }

  addButton.addEventListener("click", function (event) {
    var rows = list.querySelectorAll(".variant-row");
    if (!rows.length) { return; }  // nothing to copy: let the server add the row
    event.preventDefault();
    var row = blankRow(rows[rows.length - 1], nextIndex());
    list.appendChild(row);
    renumberLegends();
    var first = row.querySelector(".option-slot:not([hidden]) input, input[name$='-sku']");
    if (first) { first.focus(); }
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=remove_variant]");
    if (!button || list.querySelectorAll(".variant-row").length < 2) { return; }  // the last row: ask the server
    event.preventDefault();
    button.closest(".variant-row").remove();
    renumberLegends();
  });
})();
