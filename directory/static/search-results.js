/* Search results for a keyboard and a screen reader (issue 22).
 *
 * 1. When results arrive, focus moves to their heading (so the next Tab is the first result) and the status
 *    line is said again: a live region is read when it changes, not when the page loads with it.
 * 2. "Add to the sheet" is sent with fetch and the card changes in place: the button becomes "Remove", the card
 *    says "On the sheet", a status line names the service, and focus stays on the button.
 * Without this script the same forms post and come back to the card (#service-N); nothing here is needed.
 * Loaded from the app's own origin, so the Content-Security-Policy allows it without a nonce.
 */
(function () {
  "use strict";

  function announceResults() {
    var heading = document.getElementById("results");
    var status = document.getElementById("results-status");
    if (!heading) { return; }
    // A page that came back to a card (#service-N) keeps that place; only a fresh search moves to the results.
    if (!location.hash || location.hash === "#results") {
      heading.focus({ preventScroll: true });
      heading.scrollIntoView({ block: "start" });
    }
    if (status) {
      var said = status.textContent;
      status.textContent = "";
      window.setTimeout(function () { status.textContent = said; }, 150);
    }
  }

  function label(button, onSheet, name) {
    // Built from text nodes and spans: the name is the listing's own text, never markup.
    while (button.firstChild) { button.removeChild(button.firstChild); }
    function hidden(text) {
      var span = document.createElement("span");
      span.className = "visually-hidden";
      span.textContent = text;
      return span;
    }
    if (onSheet) {
      button.appendChild(document.createTextNode("Remove"));
      button.appendChild(hidden(" " + name + " from the signposting sheet"));
    } else {
      button.appendChild(document.createTextNode("Add"));
      button.appendChild(hidden(" " + name));
      button.appendChild(document.createTextNode(" to"));
      button.appendChild(hidden(" the signposting"));
      button.appendChild(document.createTextNode(" sheet"));
    }
  }

  function updateNav(count) {
    var links = document.querySelectorAll(".site-header a[href$='/basket/']");
    Array.prototype.forEach.call(links, function (link) {
      link.textContent = count ? "Signposting sheet (" + count + ")" : "Signposting sheet";
    });
  }

  function toggle(event) {
    var form = event.currentTarget;
    var button = form.querySelector("button[type=submit]");
    var card = form.closest("li.result");
    var said = card ? card.querySelector(".sheet-said") : null;
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") { return; }
    form.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      var data = answer.data;
      if (answer.ok) {
        form.action = data.on_sheet ? form.getAttribute("data-remove") : form.getAttribute("data-add");
        label(button, data.on_sheet, form.getAttribute("data-name"));
        form.querySelector(".on-sheet-label").hidden = !data.on_sheet;
        if (card) { card.classList.toggle("on-sheet", data.on_sheet); }
        updateNav(data.count);
      }
      if (said) { said.textContent = data.message; }
    }).catch(function () {
      form.submit();  // the network or the session failed: post the form the ordinary way
    }).then(function () {
      form.removeAttribute("aria-busy");
      if (document.activeElement !== button) { button.focus(); }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form.sheet-toggle"), function (form) {
      form.addEventListener("submit", toggle);
    });
    announceResults();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
