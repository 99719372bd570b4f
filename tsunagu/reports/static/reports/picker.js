// The prefecture picker of the report forms. Without this script it works all
// the same: a checked area is expanded to its prefectures by the server. With
// it, an area's box checks and clears its prefectures, shows "some" when part
// of the area is chosen, and the summary counts what is chosen.
(function () {
  "use strict";
  function init(picker) {
    var areas = picker.querySelectorAll("input[data-area]");
    var summary = picker.querySelector(".picker-summary");
    function members(key) {
      return picker.querySelectorAll('input[data-in-area="' + key + '"]');
    }
    function sync(areaBox) {
      var boxes = members(areaBox.dataset.area);
      var on = 0;
      boxes.forEach(function (b) { if (b.checked) { on += 1; } });
      areaBox.checked = on === boxes.length;
      areaBox.indeterminate = on > 0 && on < boxes.length;
    }
    function count() {
      if (!summary) { return; }
      var on = picker.querySelectorAll("input[data-in-area]:checked").length;
      summary.textContent = on
        ? picker.dataset.countLabel.replace("%(n)s", on)
        : picker.dataset.noneLabel;
    }
    areas.forEach(function (areaBox) {
      sync(areaBox);
      areaBox.addEventListener("change", function () {
        members(areaBox.dataset.area).forEach(function (b) { b.checked = areaBox.checked; });
        areaBox.indeterminate = false;
        count();
      });
    });
    picker.querySelectorAll("input[data-in-area]").forEach(function (box) {
      box.addEventListener("change", function () {
        sync(picker.querySelector('input[data-area="' + box.dataset.inArea + '"]'));
        count();
      });
    });
  }
  document.querySelectorAll("fieldset.prefecture-picker").forEach(init);
})();
