/* Print buttons: <button data-print hidden> appears when JavaScript runs and opens the browser's print dialog.
   Without JavaScript the button stays hidden; the page says how to print from the browser menu. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
}());
