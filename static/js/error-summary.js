// The GOV.UK error summary takes the focus, so a screen reader reads the problems first
// and a keyboard user starts from the links to each field.
(function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
})();
