// With JavaScript on, a batch's progress page refreshes itself until every row has ended;
// without it, the page's Refresh link does the same.
(function () {
  "use strict";
  var running = document.querySelector("[data-batch-running]");
  if (!running) { return; }
  window.setTimeout(function () { window.location.reload(); }, 2000);
})();
