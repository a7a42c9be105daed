/* Personal-data guard, as the worker types: asks POST /api/pii-check and shows what it found.
   Served from our own origin; the form works without it (the server checks again on submit). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-pii-url]");
  Array.prototype.forEach.call(forms, function (form) {
    var box = form.querySelector("textarea");
    var warning = form.querySelector(".pii-warning");
    var tokenField = form.querySelector("input[name=csrf_token]");
    if (!box || !warning || !tokenField || !window.fetch) { return; }
    var timer = null;
    var asked = 0;

    function show(text, findings, kinds) {
      while (warning.firstChild) { warning.removeChild(warning.firstChild); }
      if (!findings.length) { return; }
      var intro = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = "This text may hold personal data.";
      intro.appendChild(strong);
      intro.appendChild(document.createTextNode(" Rephrase it before saving; if it is not about a person you can save anyway, and what was found is saved masked. Found:"));
      warning.appendChild(intro);
      var list = document.createElement("ul");
      list.className = "findings";
      findings.forEach(function (f) {
        var item = document.createElement("li");
        var label = kinds[f.kind] || f.kind;
        item.appendChild(document.createTextNode(label.charAt(0).toUpperCase() + label.slice(1) + ": "));
        var mark = document.createElement("mark");
        mark.textContent = Array.from(text).slice(f.start, f.end).join(""); // offsets count code points, as Python does
        item.appendChild(mark);
        list.appendChild(item);
      });
      warning.appendChild(list);
    }

    function check() {
      var text = box.value;
      var mine = ++asked;
      fetch(form.getAttribute("data-pii-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": tokenField.value },
        body: JSON.stringify({ text: text })
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (data) {
        if (data && mine === asked) { show(text, data.findings, data.kinds || {}); }
      }).catch(function () { /* the server checks again on submit */ });
    }

    box.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(check, 400);
    });
  });
})();
