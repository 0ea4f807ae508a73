// Sort a table by a column when its header button is pressed: numbers by value (a cell's
// data-sort-value when it has one), text alphabetically; again to reverse. No library.
(function () {
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (th, column) {
      var button = th.querySelector("button.sort-button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var cell = row.cells[column];
          var value = cell.hasAttribute("data-sort-value") ? cell.getAttribute("data-sort-value") : cell.textContent.trim();
          var number = parseFloat(value);
          return value !== "" && !isNaN(number) && isFinite(value) ? number : value.toLowerCase();
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var xEmpty = x === "", yEmpty = y === "";
          if (xEmpty !== yEmpty) { return xEmpty ? 1 : -1; }  // empty cells last, both ways
          var order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
