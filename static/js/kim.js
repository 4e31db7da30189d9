// KIM Admin: behaviour of Flask-Admin's widgets under our Content-Security-Policy, in German.
//
// The CSP (app/security.py) runs scripts from our own origin and nonced <script> tags only:
// no inline event handlers (onclick="…"), no "javascript:" URLs. Our template overrides
// (templates/admin/…) render data attributes instead, and this file, loaded with the nonce
// after jQuery, select2 and moment but before Flask-Admin's form.js, handles them by event
// delegation:
//   data-kim-confirm="Frage?"  a button or link that asks before it acts (a row's delete)
//   data-kim-action="name"     a bulk action ("Mit Auswahl …"), run by Flask-Admin's modelActions
//   data-kim-inline-add="id"   "Hinzufügen: …" of an inline list (the case's contacts)
//   data-kim-details-filter    the quick filter on a details page
// It also puts German texts into select2 and the date pickers, shows and accepts dates in
// filters as TT.MM.JJJJ (sent to the server as ISO dates), and names the filter controls.
(function ($, moment) {
  "use strict";

  // --- German texts for select2 3.5 and moment -------------------------------------------

  if (moment) {
    moment.locale("de");
  }

  if ($.fn.select2) {
    $.extend($.fn.select2.defaults, {
      formatMatches: function (matches) {
        return matches === 1
          ? "Ein Treffer, mit der Eingabetaste auswählen."
          : matches + " Treffer, mit den Pfeiltasten auswählen.";
      },
      formatNoMatches: function () { return "Keine Treffer"; },
      formatAjaxError: function () { return "Laden fehlgeschlagen"; },
      formatInputTooShort: function (input, min) {
        return "Bitte mindestens " + min + " Zeichen eingeben";
      },
      formatInputTooLong: function (input, max) {
        var surplus = input.length - max;
        return "Bitte " + surplus + " Zeichen weniger eingeben";
      },
      formatSelectionTooBig: function (limit) {
        return "Sie können höchstens " + limit + (limit === 1 ? " Eintrag" : " Einträge") + " auswählen";
      },
      formatLoadMore: function () { return "Weitere Treffer werden geladen …"; },
      formatSearching: function () { return "Suche …"; }
    });
  }

  // --- confirmations, bulk actions, pseudo-links ----------------------------------------

  // Links that must not navigate: "#" (Bootstrap toggles, filter entries, bulk actions) and
  // anything still rendered with a "javascript:" URL, which the CSP refuses to run. select2
  // draws its box as <a href="javascript:void(0)" tabindex="-1">: it is no link (the
  // focusable control is select2's own input), so it loses its href.
  var SELECT2_PARTS = "a.select2-choice[href], a.select2-search-choice-close[href]";

  function neutraliseScriptLinks(root) {
    $(root).find(SELECT2_PARTS).removeAttr("href");
    $(root).find('a[href^="javascript:"]').each(function () {
      this.setAttribute("href", "#");
      if (!this.hasAttribute("role")) {
        this.setAttribute("role", "button");
      }
    });
  }

  // select2 3.5 predates ARIA 1.2: its search box is a combobox without aria-controls, and
  // its messages ("Keine Treffer", "Bitte mindestens 1 Zeichen eingeben") are bare <li>
  // elements in the listbox. They become options that cannot be chosen.
  function repairSelect2(root) {
    var $root = $(root);
    $root.find("input.select2-input[aria-owns]").addBack("input.select2-input[aria-owns]").each(function () {
      this.setAttribute("aria-controls", this.getAttribute("aria-owns"));
    });
    $root.find(".select2-results").addBack(".select2-results").children("li").not(".select2-result")
      .attr({ role: "option", "aria-disabled": "true" });
  }

  // Widgets drawn after the page loaded (select2, inline rows, filters) are fixed as they come.
  function watchDynamicWidgets() {
    if (!window.MutationObserver) {
      return;
    }
    new window.MutationObserver(function (changes) {
      changes.forEach(function (change) {
        $(change.addedNodes).each(function () {
          if (this.nodeType === 1) {
            neutraliseScriptLinks($(this).parent());
            repairSelect2($(this).parent());
          }
        });
      });
    }).observe(document.body, { childList: true, subtree: true });
  }

  $(document).on("click", "[data-kim-confirm]", function (event) {
    if (!window.confirm(this.getAttribute("data-kim-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  $(document).on("click", "[data-kim-action]", function (event) {
    event.preventDefault();
    if (window.modelActions) {
      window.modelActions.execute(this.getAttribute("data-kim-action"));
    }
  });

  // In the capture phase: Flask-Admin's multi-level dropdown script stops the click's
  // propagation on menu toggles, and the browser would then follow "#".
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest('a[href="#"]') : null;
    if (link) {
      event.preventDefault();
    }
  }, true);

  // --- "select all" in lists -------------------------------------------------------------

  function updateRowToggle() {
    var boxes = $("input.action-checkbox");
    var ticked = boxes.filter(":checked").length;
    $("input.action-rowtoggle").each(function () {
      this.checked = boxes.length > 0 && ticked === boxes.length;
      this.indeterminate = ticked > 0 && ticked < boxes.length;
    });
  }

  $(document).on("change", "input.action-rowtoggle", function () {
    $("input.action-checkbox").prop("checked", this.checked);
    updateRowToggle();
  });

  $(document).on("change", "input.action-checkbox", updateRowToggle);

  // --- inline lists ("Hinzufügen: Kontakte") ---------------------------------------------

  // Flask-Admin's faForm.addInlineField, plus: labels follow their renamed fields (before the
  // widgets are styled, since select2 copies the label it finds), focus on the first field.
  function addInlineField(button, fieldId) {
    var $el = $(button).closest(".inline-field");
    var id = fieldId;
    var $parentForm = $el.parent().closest(".inline-field");
    if ($parentForm.hasClass("fresh")) {
      id = $parentForm.attr("id") + (fieldId ? "-" + fieldId : "");
    }
    var $fieldList = $el.find("> .inline-field-list");
    var nextIndex = 0;
    $fieldList.children(".inline-field").each(function () {
      var parts = this.id.split("-");
      var index = parseInt(parts[parts.length - 1], 10) + 1;
      if (index > nextIndex) {
        nextIndex = index;
      }
    });
    var prefix = id + "-" + nextIndex;
    var $row = $($el.find("> .inline-field-template").text());
    $row.attr("id", prefix).addClass("fresh");
    $row.find("[name]").each(function () {
      var ownId = this.getAttribute("id");
      if (ownId) {
        this.setAttribute("id", prefix + "-" + ownId);
      }
      this.setAttribute("name", prefix + "-" + this.getAttribute("name"));
    });
    $row.find("label[for]").each(function () {
      this.htmlFor = prefix + "-" + this.htmlFor;
    });
    $row.appendTo($fieldList);
    if (window.faForm) {
      window.faForm.applyGlobalStyles($row);
    }
    $row.find(":input:visible").not("button").first().trigger("focus");
  }

  $(document).on("click", "[data-kim-inline-add]", function (event) {
    event.preventDefault();
    addInlineField(this, this.getAttribute("data-kim-inline-add"));
  });

  // --- quick filter on details pages -----------------------------------------------------

  $(document).on("input", "[data-kim-details-filter]", function () {
    var needle = this.value.trim().toLocaleLowerCase("de");
    $("table.searchable tr").each(function () {
      var haystack = this.textContent.toLocaleLowerCase("de");
      this.hidden = needle !== "" && haystack.indexOf(needle) === -1;
    });
  });

  // --- dates in filters: shown and typed as TT.MM.JJJJ, sent as ISO ----------------------

  var DATE_KINDS = {
    datepicker: { time: false, range: false },
    daterangepicker: { time: false, range: true },
    datetimepicker: { time: true, range: false },
    datetimerangepicker: { time: true, range: true }
  };
  var SHOWN = { date: "DD.MM.YYYY", time: "DD.MM.YYYY HH:mm" };
  var SENT = { date: "YYYY-MM-DD", time: "YYYY-MM-DD HH:mm:ss" };
  var TYPED_DATES = ["DD.MM.YYYY", "D.M.YYYY", "D.M.YY", "YYYY-MM-DD"];
  var TYPED_TIMES = [
    "DD.MM.YYYY HH:mm", "D.M.YYYY H:mm", "DD.MM.YYYY HH:mm:ss", "D.M.YY H:mm",
    "YYYY-MM-DD HH:mm:ss", "YYYY-MM-DD HH:mm"
  ];
  var SHOWN_SEPARATOR = " bis ";
  var SENT_SEPARATOR = " to "; // what Flask-Admin's between filters split on
  var RANGE_SEPARATOR = /\s+(?:bis|to|–|-)\s+/;

  function parseMoment(text, kind, isEnd) {
    var value = $.trim(text);
    if (kind.time) {
      var moment_ = moment(value, TYPED_TIMES, true);
      if (moment_.isValid()) {
        return isEnd && !/:\d\d:\d\d$/.test(value) ? moment_.seconds(59) : moment_;
      }
    }
    var day = moment(value, TYPED_DATES, true);
    if (!day.isValid()) {
      return null;
    }
    return isEnd ? day.endOf("day").milliseconds(0) : day.startOf("day");
  }

  // [start, end] of what was typed; null if it is no date (range) in a form we know.
  function parseTyped(text, kind) {
    if (kind.range) {
      var parts = $.trim(text).split(RANGE_SEPARATOR);
      if (parts.length !== 2) {
        return null;
      }
      var start = parseMoment(parts[0], kind, false);
      var end = parseMoment(parts[1], kind, true);
      return start && end ? [start, end] : null;
    }
    var single = parseMoment(text, kind, false);
    return single ? [single, single] : null;
  }

  function formatRange(range, kind, formats, separator) {
    var format = kind.time ? formats.time : formats.date;
    var first = range[0].format(format);
    return kind.range ? first + separator + range[1].format(format) : first;
  }

  function dateHint(kind) {
    var one = kind.time ? "TT.MM.JJJJ hh:mm" : "TT.MM.JJJJ";
    return kind.range ? one + " bis " + one : one;
  }

  function showDateError($input, message) {
    clearDateError($input);
    var errorId = ($input.attr("name") || "kim-date") + "-fehler";
    $input.addClass("is-invalid").attr({ "aria-invalid": "true", "aria-describedby": errorId });
    $('<span class="kim-filter-error" role="alert"></span>')
      .attr("id", errorId)
      .text(message)
      .insertAfter($input);
  }

  function clearDateError($input) {
    $input.removeClass("is-invalid").removeAttr("aria-invalid aria-describedby");
    $input.siblings(".kim-filter-error").remove();
  }

  // German labels for the picker's own controls; its calendar is redrawn on every change.
  function labelPicker(container) {
    container.find("select.monthselect").attr("aria-label", "Monat");
    container.find("select.yearselect").attr("aria-label", "Jahr");
    container.find("select.hourselect").attr("aria-label", "Stunde");
    container.find("select.minuteselect").attr("aria-label", "Minute");
    container.find("select.secondselect").attr("aria-label", "Sekunde");
    container.find("input[name=daterangepicker_start]").attr("aria-label", "Von");
    container.find("input[name=daterangepicker_end]").attr("aria-label", "Bis");
  }

  function germanDatePicker($input, kind) {
    var shown = $input.val();
    if (shown) {
      var given = parseTyped(shown, kind); // the server sends ISO dates back
      if (given) {
        $input.val(formatRange(given, kind, SHOWN, SHOWN_SEPARATOR));
      }
    }
    $input.attr({ placeholder: dateHint(kind), autocomplete: "off", "data-kim-date": "" });
    $input.data("kimDateKind", kind);
    $input.daterangepicker({
      singleDatePicker: !kind.range,
      timePicker: kind.time,
      timePicker12Hour: false,
      timePickerIncrement: 1,
      showDropdowns: true,
      format: kind.time ? SHOWN.time : SHOWN.date,
      separator: SHOWN_SEPARATOR,
      buttonClasses: ["btn", "btn-sm"],
      applyClass: "btn-primary",
      cancelClass: "btn-secondary",
      locale: {
        applyLabel: "Übernehmen",
        cancelLabel: "Abbrechen",
        fromLabel: "Von",
        toLabel: "Bis",
        weekLabel: "KW",
        customRangeLabel: "Zeitraum",
        daysOfWeek: moment.weekdaysMin(),
        monthNames: moment.monthsShort(),
        firstDay: 1
      }
    }, function () {
      $input.trigger("change"); // shows the filter form's "Filter anwenden"
    });
    var picker = $input.data("daterangepicker");
    var redraw = picker.updateCalendars;
    picker.updateCalendars = function () {
      redraw.apply(this, arguments);
      labelPicker(this.container);
    };
    labelPicker(picker.container);
    // The picker re-reads the field on every key with a lenient parser and writes its guess
    // back ("15.08.2025" in a YYYY-MM-DD picker became 2015-08-…). Follow only what parses
    // strictly; anything else stays as typed and is refused, in German, on submit.
    $input.off("keyup.daterangepicker").on("keyup.kim", function () {
      var range = parseTyped($input.val(), kind);
      if (!range) {
        return;
      }
      picker.startDate = range[0].clone();
      picker.endDate = range[1].clone();
      picker.oldStartDate = picker.startDate.clone();
      picker.oldEndDate = picker.endDate.clone();
      picker.updateView();
      picker.updateCalendars();
    });
    $input.on("input.kim", function () {
      clearDateError($input);
    });
  }

  function checkDatesBeforeSubmit(event) {
    var refused = null;
    $(this).find("input[data-kim-date]").each(function () {
      var $input = $(this);
      var kind = $input.data("kimDateKind");
      var typed = $.trim($input.val());
      clearDateError($input);
      if (!kind || typed === "") {
        return;
      }
      var range = parseTyped(typed, kind);
      if (!range) {
        showDateError($input, "Bitte ein Datum im Format " + dateHint(kind) + " eingeben, z. B. 15.08.2025.");
      } else if (range[1].isBefore(range[0])) {
        showDateError($input, "Das Ende des Zeitraums liegt vor seinem Anfang.");
      } else {
        $input.val(formatRange(range, kind, SENT, SENT_SEPARATOR));
        return;
      }
      refused = refused || $input;
    });
    if (refused) {
      event.preventDefault();
      event.stopImmediatePropagation();
      refused.trigger("focus");
    }
  }

  // jQuery delegation also sees jQuery's own .submit() calls, which fire no DOM event.
  $(document).on("submit", "form", checkDatesBeforeSubmit);

  function germanTags($input) {
    var tags = [];
    if ($input.attr("data-tags")) {
      tags = JSON.parse($input.attr("data-tags"));
    }
    $input.select2({
      width: "resolve",
      tags: tags,
      tokenSeparators: [","],
      formatNoMatches: function () { return "Mehrere Werte mit Komma trennen"; }
    });
    $input.parent().find("input.select2-input").on("keyup", function (event) {
      if (event.keyCode === 13) {
        $(this).closest("form").trigger("submit");
      }
    });
  }

  function kimFieldConverter($input, role) {
    if (DATE_KINDS.hasOwnProperty(role)) {
      germanDatePicker($input, DATE_KINDS[role]);
      return true;
    }
    if (role === "select2-tags") {
      germanTags($input);
      return true;
    }
    return false;
  }

  // form.js announces faForm with "adminFormReady" (and bs4_filters.js announces it again).
  var converterAdded = false;
  $(document).on("adminFormReady", function () {
    if (!converterAdded && window.faForm) {
      window.faForm.addFieldConverter(kimFieldConverter);
      converterAdded = true;
    }
  });

  // --- names for the controls Flask-Admin's filter script builds -------------------------

  function labelFilterRows() {
    $("#filter_form table.filters tr").each(function () {
      var $row = $(this);
      var $remove = $row.find(".remove-filter");
      var name = $.trim($remove.text().replace("×", ""));
      if (!name) {
        return;
      }
      $remove.attr({ "aria-label": "Filter entfernen: " + name, title: "Filter entfernen" });
      $row.find("select.filter-op").attr("aria-label", name + ": Vergleich");
      $row.find(".filter-val").not(".select2-container").attr("aria-label", name + ": Wert");
    });
  }

  $(function () {
    neutraliseScriptLinks(document);
    repairSelect2(document);
    watchDynamicWidgets();
    updateRowToggle();
    var filters = document.querySelector("#filter_form table.filters");
    if (filters && window.MutationObserver) {
      new window.MutationObserver(labelFilterRows).observe(filters, { childList: true, subtree: true });
      labelFilterRows();
    }
  });
})(window.jQuery, window.moment);
