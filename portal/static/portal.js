// Progressive enhancement: without JavaScript every option's fields are visible;
// with it, only the fields of the chosen option (and reason) are shown.
(function () {
  "use strict";
  var form = document.querySelector("form.reply-form");
  if (!form) { return; }

  function checkedValue(name) {
    var input = form.querySelector('input[name="' + name + '"]:checked');
    return input ? input.value : "";
  }

  function update() {
    var choice = checkedValue("choice");
    var reason = checkedValue("reason");
    form.querySelectorAll(".choice-fields").forEach(function (el) {
      el.hidden = el.getAttribute("data-choice") !== choice;
    });
    form.querySelectorAll(".reason-fields").forEach(function (el) {
      el.hidden = el.getAttribute("data-reason") !== reason;
    });
  }

  form.addEventListener("change", update);
  form.classList.add("js-enhanced");
  update();

  // A second click while the first is on its way sends nothing new; the server is
  // idempotent anyway, this only spares the merchant a confusing flicker.
  form.addEventListener("submit", function () {
    var button = form.querySelector('button[type="submit"]');
    window.setTimeout(function () { if (button) { button.disabled = true; } }, 0);
  });

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // Each text box's character count, as GOV.UK's character count component says it.
  form.querySelectorAll("textarea[data-count]").forEach(function (box) {
    var count = document.getElementById(box.getAttribute("data-count"));
    if (!count) { return; }
    var limit = parseInt(box.getAttribute("maxlength"), 10);
    var countMessage = function () {
      // The server counts a line break as one character, as the browser's maxlength does.
      var left = limit - box.value.replace(/\r\n/g, "\n").length;
      var words = box.getAttribute(left < 0 ? "data-count-over" : "data-count-remaining");
      count.textContent = words.replace("{count}", String(Math.abs(left)));
      count.classList.toggle("over", left < 0);
    };
    box.addEventListener("input", countMessage);
    countMessage();
  });
})();
