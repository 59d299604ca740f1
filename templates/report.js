// The table of users who are not ready: filter by text, verdict and reason, sort by a column. The
// filter lives in the address's fragment (#filter=...&verdict=...&reason=...) so that a link opens the
// same view. Text is only ever read and compared: nothing here turns text into markup.
(function () {
  "use strict";
  var table = document.getElementById("user-table");
  if (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
    var filter = document.getElementById("filter");
    var verdict = document.getElementById("verdict");
    var reason = document.getElementById("reason");
    var shown = document.getElementById("shown");

    var choose = function (select, value) {
      select.value = "";
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === value) { select.value = value; }
      }
    };
    var read = function () {
      var raw = location.hash.replace(/^#/, "") || location.search.replace(/^\?/, "");
      // A fragment that is a section's anchor (#users) leaves the filters as they are.
      if (!/(^|&)(filter|verdict|reason)=/.test(raw)) { return; }
      var params = new URLSearchParams(raw);
      filter.value = params.get("filter") || "";
      choose(verdict, params.get("verdict") || "");
      choose(reason, params.get("reason") || "");
    };
    var write = function () {
      var params = new URLSearchParams();
      if (filter.value) { params.set("filter", filter.value); }
      if (verdict.value) { params.set("verdict", verdict.value); }
      if (reason.value) { params.set("reason", reason.value); }
      var fragment = params.toString();
      try {
        history.replaceState(null, "", fragment ? "#" + fragment : location.pathname + location.search);
      } catch (e) { /* some viewers forbid it on files: the view still filters */ }
    };
    var apply = function () {
      var needle = filter.value.trim().toLowerCase();
      var wanted = verdict.value;
      var because = reason.value ? " " + reason.value + " " : "";
      var count = 0;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i];
        var keep = (!needle || texts[i].indexOf(needle) !== -1) &&
          (!wanted || row.getAttribute("data-verdict") === wanted) &&
          (!because || (" " + row.getAttribute("data-reasons") + " ").indexOf(because) !== -1);
        row.hidden = !keep;
        if (keep) { count++; }
      }
      shown.textContent = count + " of " + rows.length + " shown";
      shown.setAttribute("data-shown", String(count));
    };
    var changed = function () { write(); apply(); };
    filter.addEventListener("input", changed);
    verdict.addEventListener("change", changed);
    reason.addEventListener("change", changed);
    window.addEventListener("hashchange", function () { read(); apply(); });

    var headers = table.tHead.rows[0].cells;
    var sortBy = function (column, numeric, descending) {
      var order = rows.map(function (row, i) { return i; });
      var key = function (i) {
        var text = rows[i].cells[column].textContent;
        return numeric ? parseFloat(text) || 0 : text.toLowerCase();
      };
      var keys = order.map(key);
      order.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        var c = x < y ? -1 : x > y ? 1 : a - b;
        return descending ? -c : c;
      });
      var fragment = document.createDocumentFragment();
      order.forEach(function (i) { fragment.appendChild(rows[i]); });
      body.appendChild(fragment);
      rows = order.map(function (i) { return rows[i]; });
      texts = order.map(function (i) { return texts[i]; });
    };
    Array.prototype.forEach.call(headers, function (th, column) {
      if (!th.hasAttribute("data-sort")) { return; }
      th.tabIndex = 0;
      var sort = function () {
        var descending = th.getAttribute("aria-sort") === "ascending";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        sortBy(column, th.getAttribute("data-sort") === "number", descending);
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });

    read();
    apply();
  }
  document.documentElement.setAttribute("data-script", "ready");
})();
