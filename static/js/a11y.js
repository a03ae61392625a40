/* After htmx swaps part of a page: keep keyboard focus somewhere sensible and tell screen readers what happened.
 *
 * Focus: an element of the new content marked data-focus (or autofocus, which htmx handles itself) wins; otherwise,
 * when the element that had focus was swapped away (focus fell back to <body>), the first invalid field, else the
 * first heading, else the swapped region itself. Typing in a live search keeps focus in its input: nothing moves.
 * Announcements: the text of [data-announce] elements in the new content goes to the page's aria-live region.
 */
(function () {
  "use strict";

  function focusOn(element) {
    if (!element.matches("a[href], button, input, select, textarea, [tabindex]")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  function focusLost() {
    var active = document.activeElement;
    return !active || active === document.body || !active.isConnected;
  }

  function announce(text) {
    var region = document.getElementById("live-region");
    if (!region || !text) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var region = event.detail.target;
    if (!region || !region.isConnected) { return; }
    var marked = region.querySelector("[data-focus]");
    if (marked) {
      focusOn(marked);
    } else if (focusLost()) {
      focusOn(region.querySelector("[aria-invalid=true]") || region.querySelector("h1, h2, h3") || region);
    }
    var messages = Array.prototype.map.call(region.querySelectorAll("[data-announce]"), function (element) {
      return element.getAttribute("data-announce") || element.textContent.trim();
    });
    if (region.hasAttribute("data-announce")) {
      messages.unshift(region.getAttribute("data-announce") || region.textContent.trim());
    }
    announce(messages.join(" "));
  });
}());
