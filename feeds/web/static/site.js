// The pages' small enhancements; each page works without them. No inline script anywhere: the
// pages' Content-Security-Policy allows scripts from our origin only.
//   - dates (<time datetime="...Z">, shown in UTC) in the reader's own time zone
//   - Copy buttons for feed addresses and embed snippets, with feedback
//   - a filter that narrows lists of topics and providers as you type
(function () {
  "use strict";

  // --- local time ---------------------------------------------------------------------------
  var format;
  try {
    format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  } catch (e) {
    format = null;
  }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (!format || isNaN(when.getTime())) return;
    el.title = el.textContent; // the UTC time stays at hand
    el.textContent = format.format(when);
  });

  // --- copy -----------------------------------------------------------------------------------
  var announcer = document.createElement("p");
  announcer.className = "vh";
  announcer.setAttribute("role", "status");
  (document.querySelector("main") || document.body).appendChild(announcer);

  function say(button, text, message) {
    var label = button.firstElementChild || button;
    var before = button.dataset.label || label.textContent;
    button.dataset.label = before;
    label.textContent = text;
    announcer.textContent = message;
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(function () {
      label.textContent = before;
      button.classList.remove("done", "failed");
    }, 2500);
  }

  function selectText(el) {
    if (el.select) {
      el.select();
      return;
    }
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return; // no clipboard (plain http): select by hand
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.value !== undefined ? source.value : source.textContent;
      navigator.clipboard.writeText(text).then(
        function () {
          button.classList.add("done");
          say(button, "Copied", "Copied to the clipboard");
        },
        function () {
          selectText(source);
          button.classList.add("failed");
          say(button, "Press Ctrl+C", "Could not copy: the text is selected, press Ctrl+C or Command+C");
        }
      );
    });
  });

  // --- the embed preview: as tall as its page says it is (embed.js does this on other sites) ---
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== location.origin || !data || data.type !== "feeds:height") return;
    var height = Math.ceil(Number(data.height));
    if (!(height > 0 && height < 10000)) return;
    document.querySelectorAll("iframe.preview").forEach(function (frame) {
      if (frame.contentWindow === event.source) frame.height = String(height);
    });
  });

  // --- filter ---------------------------------------------------------------------------------
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var lists = input.dataset.filter.split(" ").map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean);
    var items = [];
    lists.forEach(function (list) {
      list.querySelectorAll("li").forEach(function (li) {
        var link = li.querySelector("a");
        items.push({ li: li, list: list, name: fold(link ? link.textContent : li.textContent) });
      });
    });
    var status = input.parentNode.querySelector(".filter-status");
    var mores = document.querySelectorAll("a[data-more]");

    function apply() {
      var query = fold(input.value);
      var shown = 0;
      items.forEach(function (item) {
        var match = !query || item.name.indexOf(query) !== -1;
        item.li.hidden = !match;
        if (match) shown += 1;
      });
      mores.forEach(function (a) {  // home: the full lists, already filtered
        var url = new URL(a.href);
        if (query) url.searchParams.set("q", input.value.trim());
        else url.searchParams.delete("q");
        a.href = url.toString();
      });
      lists.forEach(function (list) {
        list.classList.toggle("filtering", !!query); // phones show all matches, not the first ten
      });
      if (status) {
        status.textContent = query ? shown + " of " + items.length + " shown" : "";
      }
    }

    var initial = new URLSearchParams(location.search).get("q");
    if (initial) input.value = initial;
    input.addEventListener("input", apply);
    input.closest(".filter").hidden = false;
    if (initial) apply();
  });
})();
