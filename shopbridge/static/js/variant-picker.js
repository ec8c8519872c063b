/* Variant picker enhancement for the product page.
 *
 * Without this script the page already works: the radio list of variants (name="variant_id") is the picker.
 * With it, the shopper chooses one option at a time (size, then colour …); the script finds the matching
 * variant, checks it in the (now hidden) list so the form posts it, and updates the price, the stock line, the
 * quantity limit, the Buy button and the address bar (?variant=…, so a copied link opens the same choice).
 */
(function () {
  "use strict";

  function init(form) {
    var list = form.querySelector("[data-variant-list]");
    var groups = form.querySelector("[data-option-groups]");
    if (!list) return;
    var variants = Array.prototype.map.call(list.querySelectorAll('input[name="variant_id"]'), function (input) {
      return {
        input: input,
        id: input.value,
        options: JSON.parse(input.getAttribute("data-options") || "{}"),
        price: input.getAttribute("data-price"),
        was: input.getAttribute("data-was"),
        state: input.getAttribute("data-stock-state"),
        label: input.getAttribute("data-stock-label"),
        max: parseInt(input.getAttribute("data-max"), 10) || 0
      };
    });
    var page = form.closest("article") || document;
    var priceNow = page.querySelector("[data-price-now]");
    var priceBox = page.querySelector("[data-price]");
    var stock = page.querySelector("[data-stock]");
    var quantity = form.querySelector("[data-quantity]");
    var buy = form.querySelector("[data-buy]");

    function current() {
      return variants.filter(function (v) { return v.input.checked; })[0] || null;
    }

    function show(v) {
      if (!v) return;
      if (priceNow) priceNow.textContent = v.price;
      if (priceBox) {
        var was = priceBox.querySelector("[data-price-was]");
        if (v.was) {
          if (!was) {
            was = document.createElement("s");
            was.setAttribute("data-price-was", "");
            priceBox.appendChild(document.createTextNode(" "));
            priceBox.appendChild(was);
          }
          was.textContent = v.was;
        } else if (was) {
          was.remove();
        }
      }
      if (stock) {
        stock.textContent = v.label;
        stock.className = "stock stock-" + v.state;
      }
      if (quantity) {
        quantity.max = Math.max(v.max, 1);
        if (parseInt(quantity.value, 10) > v.max && v.max > 0) quantity.value = v.max;
      }
      if (buy) buy.disabled = v.state === "out";
      if (window.history && window.history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("variant", v.id);
        window.history.replaceState(null, "", url.toString());
      }
    }

    if (!groups) {
      list.addEventListener("change", function () { show(current()); });
      return;
    }

    var names = Array.prototype.map.call(groups.querySelectorAll("fieldset[data-option]"), function (fs) {
      return fs.getAttribute("data-option");
    });

    function chosen() {
      var wanted = {};
      names.forEach(function (name) {
        var checked = groups.querySelector('input[data-option-name="' + CSS.escape(name) + '"]:checked');
        if (checked) wanted[name] = checked.value;
      });
      return wanted;
    }

    function matches(v, wanted, except) {
      return names.every(function (n) { return n === except || wanted[n] === undefined || v.options[n] === wanted[n]; });
    }

    // The variant for the options picked; when that combination is sold out or missing, the closest one in
    // stock that keeps the option just touched (most other options kept wins).
    function resolve(wanted, touched) {
      var exact = variants.filter(function (v) { return matches(v, wanted); })[0];
      if (exact && exact.state !== "out") return exact;
      var best = null, bestScore = -1;
      variants.forEach(function (v) {
        if (v.state === "out" || (touched && v.options[touched] !== wanted[touched])) return;
        var score = names.filter(function (n) { return v.options[n] === wanted[n]; }).length;
        if (score > bestScore) { best = v; bestScore = score; }
      });
      return best || exact || null;
    }

    function sync(v) {
      names.forEach(function (name) {
        groups.querySelectorAll('input[data-option-name="' + CSS.escape(name) + '"]').forEach(function (radio) {
          radio.checked = v.options[name] === radio.value;
          var wanted = Object.assign({}, v.options);
          wanted[name] = radio.value;
          var available = variants.some(function (o) { return o.state !== "out" && matches(o, wanted); });
          var selectable = variants.some(function (o) { return o.state !== "out" && o.options[name] === radio.value; });
          radio.disabled = !selectable && !radio.checked;
          radio.closest(".choice").classList.toggle("choice-unavailable", !available);
        });
      });
    }

    groups.addEventListener("change", function (event) {
      var touched = event.target.getAttribute("data-option-name");
      var v = resolve(chosen(), touched);
      if (!v) return;
      v.input.checked = true;
      sync(v);
      show(v);
    });

    groups.hidden = false;
    list.hidden = true;
    form.classList.add("enhanced");
    var start = current();
    if (start) sync(start);
  }

  document.querySelectorAll("[data-variant-picker]").forEach(init);
})();
