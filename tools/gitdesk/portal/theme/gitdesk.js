/* gitdesk portal: the navigation menu's button answers the keyboard. On a narrow screen material opens its
   menu with a label for a hidden checkbox, which a keyboard cannot reach: the label becomes a button that
   Tab reaches and Enter or Space presses, and says whether the menu is open. */
(function () {
  var toggle = document.getElementById("__drawer");
  if (!toggle) return;
  document.querySelectorAll('label[for="__drawer"].md-header__button').forEach(function (button) {
    button.setAttribute("role", "button");
    button.setAttribute("tabindex", "0");
    button.setAttribute("aria-controls", "__drawer");
    if (!button.getAttribute("aria-label")) button.setAttribute("aria-label", "Menu");
    var said = function () { button.setAttribute("aria-expanded", toggle.checked ? "true" : "false"); };
    said();
    toggle.addEventListener("change", said);
    button.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      event.stopPropagation();  /* material's own keyboard handler would press it a second time */
      toggle.checked = !toggle.checked;
      toggle.dispatchEvent(new Event("change", { bubbles: true }));
      said();
      if (toggle.checked) {
        var first = document.querySelector(".md-sidebar--primary a.md-nav__link, .md-sidebar--primary label.md-nav__link");
        if (first) window.setTimeout(function () { first.focus(); }, 260);  /* once the menu has slid in */
      }
    });
  });
})();
