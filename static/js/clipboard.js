/* "Salin": copy the text of the element named by data-copy-target to the clipboard.
   Without JavaScript the copy buttons stay hidden and the text sits in a readonly textarea to copy by hand. */
(function () {
  "use strict";
  document.documentElement.classList.add("js-clipboard");

  function copied(button, status) {
    var label = button.getAttribute("data-copied-text") || "OK";
    if (status) { status.textContent = label; }
    button.classList.add("copied");
    window.setTimeout(function () { button.classList.remove("copied"); if (status) { status.textContent = ""; } }, 2500);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source) { return; }
    var text = "value" in source ? source.value : source.textContent;
    var status = button.parentNode.querySelector(".copy-status");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button, status); }, function () {
        source.focus(); source.select && source.select();
      });
    } else {
      /* plain http on an intranet: select the text and use the older copy command */
      source.focus();
      if (source.select) { source.select(); }
      try { if (document.execCommand("copy")) { copied(button, status); } } catch (e) { /* the text stays selected */ }
    }
  });
}());
