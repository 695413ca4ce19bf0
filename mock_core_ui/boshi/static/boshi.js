/* 母子保健システム: the whole screen, drawn from the JSON API (plain ES2017, no framework).
 *
 * Every render makes new element ids ("f-" + random): labels point at them with `for`, so
 * a clerk (and a locator by label or role) finds every field, but an id never lasts.
 * Views are chosen by the hash: #/search, #/new/<宛名番号>, #/inquiry.
 * The layout variant (data-variant on #app: v1, v2 or v3) changes order and wording.
 */
(function () {
  "use strict";

  var root = document.getElementById("app");
  var VARIANT = root.getAttribute("data-variant") || "v1";
  var BASE = root.getAttribute("data-base") || "/boshi/";
  var API = BASE + "api/";
  var LOGIN = root.getAttribute("data-login") || "/login";
  var LOGOUT = root.getAttribute("data-logout") || "/logout";
  var CLERK = root.getAttribute("data-clerk") || "";
  var CLERK_ID = root.getAttribute("data-clerk-id") || "";
  var CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var SYSTEM_NAME = "母子保健システム";
  var TOAST_MS = 5000;

  var LABELS = {
    notified_on: "届出日",
    weeks: "妊娠週数",
    due_date: "出産予定日",
    multiple: "多胎妊娠",
    fetus_count: "胎児数",
    clinic: "妊婦健診の医療機関",
    occupation: "職業",
    remarks: "備考"
  };
  if (VARIANT === "v3") {
    LABELS.weeks = "妊娠週";
    LABELS.due_date = "分娩予定日";
  }
  var ORDER = VARIANT === "v2"
    ? ["due_date", "weeks", "notified_on", "occupation", "multiple", "clinic", "remarks"]
    : ["notified_on", "weeks", "due_date", "multiple", "clinic", "occupation", "remarks"];
  var VERSIONS = { v1: "Ver.1.4.2", v2: "Ver.2.0.0", v3: "Ver.3.0.1" };
  var OCCUPATIONS = ["会社員", "自営業", "パート・アルバイト", "学生", "無職", "その他"];
  var FETUS_COUNTS = ["2", "3", "4", "5"];
  var MAX_REMARKS = 200;

  // --- small helpers ---

  function uid() {
    var a = new Uint32Array(2);
    window.crypto.getRandomValues(a);
    return "f-" + a[0].toString(36) + a[1].toString(36);
  }

  /* h("tag", {attr: value, text: "...", onclick: fn, value: v}, [children]) */
  function h(tag, props, children) {
    var el = document.createElement(tag);
    var value;
    Object.keys(props || {}).forEach(function (key) {
      var v = props[key];
      if (v === null || v === undefined || v === false) return;
      if (key === "text") el.textContent = v;
      else if (key === "value") value = v;
      else if (key === "checked" || key === "disabled") el[key] = Boolean(v);
      else if (key.indexOf("on") === 0) el.addEventListener(key.slice(2), v);
      else el.setAttribute(key, v === true ? "" : String(v));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    if (value !== undefined) el.value = value;
    return el;
  }

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  // --- spinner and toast (outside #app, so a render never removes them) ---

  var pending = 0;
  var spinner = null;

  function spinnerOn() {
    pending += 1;
    if (!spinner) {
      spinner = h("div", { "class": "spinner", role: "progressbar", "aria-label": "読み込み中" },
        [h("span", { "class": "spinner-wheel", "aria-hidden": "true" })]);
      document.body.appendChild(spinner);
    }
  }

  function spinnerOff() {
    pending = Math.max(0, pending - 1);
    if (pending === 0 && spinner) {
      spinner.remove();
      spinner = null;
    }
  }

  function showToast(text) {
    var toast = h("div", { role: "status", "class": "toast", text: text });
    document.body.appendChild(toast);
    window.setTimeout(function () { toast.remove(); }, TOAST_MS);
  }

  // --- the API ---

  /* Back to the shared login screen (the notice when expired), returning here afterwards. */
  function toLogin(url) {
    var target = new URL(url, location.href);
    var expired = target.searchParams.get("expired") === "1";
    location.href = LOGIN + "?" + (expired ? "expired=1&" : "") + "next=" + encodeURIComponent(BASE);
  }

  /* Resolves to {status, data}; data.errors holds messages on failure; null when leaving. */
  async function api(method, path, body) {
    spinnerOn();
    try {
      // X-Screen-Version: the layout this page was drawn in; after a vendor update the
      // server refuses a post from the old screen (409) instead of misreading it.
      var opts = { method: method, credentials: "same-origin",
        headers: { Accept: "application/json", "X-Screen-Version": VARIANT } };
      if (body !== undefined) {
        opts.headers["Content-Type"] = "application/json";
        opts.headers["X-CSRF-Token"] = CSRF;
        opts.body = JSON.stringify(body);
      }
      var resp;
      try {
        resp = await fetch(path, opts);
      } catch (err) {
        return { status: 0, data: { errors: ["サーバーに接続できません。"] } };
      }
      if (resp.redirected && new URL(resp.url).pathname === LOGIN) {
        toLogin(resp.url);
        return null;
      }
      if (resp.status === 401) {  // {error, message, login_url}: the session has ended
        var info = await resp.json().catch(function () { return {}; });
        toLogin(info.login_url || LOGIN + "?expired=1");
        return null;
      }
      var fallback = ["システムエラーが発生しました（HTTP " + resp.status + "）。"];
      var type = resp.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) return { status: resp.status, data: { errors: fallback } };
      var data = await resp.json();
      if (resp.status >= 400 && !(data.errors && data.errors.length)) {
        data.errors = data.message ? [data.message] : fallback;  // e.g. 503 {error, message}
      }
      return { status: resp.status, data: data };
    } finally {
      spinnerOff();
    }
  }

  // --- the frame: system bar, menu, content ---

  function navButton(text, hash) {
    var current = location.hash === hash;
    return h("button", {
      type: "button", "class": current ? "nav-item current" : "nav-item",
      "aria-current": current ? "page" : null, text: text,
      onclick: function () { go(hash); }
    });
  }

  function show(title, content) {
    document.title = title + " - " + SYSTEM_NAME;
    var bar = h("header", { "class": "sysbar" }, [
      h("span", { "class": "sysname", text: SYSTEM_NAME }),
      h("span", { "class": "clerk", text: "担当: " + CLERK + "（" + CLERK_ID + "）" }),
      h("a", { href: LOGOUT, text: "ログアウト" })
    ]);
    var nav = h("nav", { "class": "menu", "aria-label": "業務メニュー" }, [
      navButton("住民検索", "#/search"), navButton("妊娠届 照会", "#/inquiry")
    ]);
    var main = h("main", { "class": "content" }, content);
    var footer = h("footer", { "class": "vendor",
      text: SYSTEM_NAME + " " + (VERSIONS[VARIANT] || VERSIONS.v1) + "　（株）ネクスト母子ソリューションズ" });
    if (VARIANT === "v2") {
      root.replaceChildren(bar, h("div", { "class": "with-sidebar" },
        [h("aside", { "class": "sidebar" }, [nav]), main]), footer);
    } else {
      root.replaceChildren(bar, nav, main, footer);
    }
  }

  /* A labelled field; the label's `for` points at a fresh id. Inline errors under it. */
  function field(labelText, control, errors, extra) {
    var id = uid();
    control.id = id;
    var wrap = h("div", { "class": "field" }, [h("label", { "for": id, text: labelText }), control, extra]);
    if (errors && errors.length) {
      var errId = uid();
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", errId);
      wrap.classList.add("has-error");
      wrap.appendChild(h("p", { id: errId, "class": "field-error", text: errors.join(" ") }));
    }
    return wrap;
  }

  function errorSummary(messages) {
    if (!messages || !messages.length) return null;
    return h("div", { "class": "error-summary", role: "alert" }, [
      h("h2", { text: "入力内容に誤りがあります" }),
      h("ul", {}, messages.map(function (m) { return h("li", { text: m }); }))
    ]);
  }

  function notice(text) {
    return h("p", { "class": "notice", text: text });
  }

  function pairs(items) {
    var children = [];
    items.forEach(function (item) {
      children.push(h("dt", { text: item[0] }));
      children.push(h("dd", { text: item[1] }));
    });
    return h("dl", { "class": "pairs" }, children);
  }

  // --- 住民検索 ---

  var search = { atena: "", results: null, errors: null };

  function renderSearch() {
    var input = h("input", { type: "text", inputmode: "numeric", autocomplete: "off", value: search.atena });
    var form = h("form", { "class": "search-form", novalidate: true, onsubmit: function (ev) {
      ev.preventDefault();
      runSearch(input.value.trim());
    } }, [field("宛名番号", input), h("button", { type: "submit", "class": "primary", text: "検索" })]);
    var content = [h("h1", { text: "住民検索" }), errorSummary(search.errors), form];
    if (search.results && search.results.length === 0) content.push(notice("該当する住民が見つかりません。"));
    if (search.results && search.results.length) {
      content.push(h("h2", { text: "検索結果" }));
      content.push(h("ul", { "class": "cards", "aria-label": "検索結果" }, search.results.map(function (r) {
        return h("li", { "class": "card" }, [
          pairs([["宛名番号", r.atena_no], ["氏名", r.name], ["カナ氏名", r.kana],
            ["生年月日", r.birth_wareki], ["住所", r.address]]),
          h("button", { type: "button", text: "選択",
            onclick: function () { go("#/new/" + encodeURIComponent(r.atena_no)); } })
        ]);
      })));
    }
    show("住民検索", content);
    input.focus();
  }

  async function runSearch(atena) {
    var token = seq;
    search.atena = atena;
    var res = await api("GET", API + "residents?atena_no=" + encodeURIComponent(atena));
    if (!res || token !== seq) return;
    search.results = res.status === 200 ? res.data.residents : null;
    search.errors = res.status === 200 ? null : res.data.errors;
    renderSearch();
  }

  // --- 妊娠の届出 ---

  var entry = null;

  function emptyValues() {
    return { notified_on: "", weeks: "", due_date: "", multiple: "", fetus_count: "",
      clinic: "", occupation: "", remarks: "" };
  }

  async function openEntry(atena) {
    var token = seq;
    entry = { atena: atena, resident: null, missing: false, values: emptyValues(),
      errors: null, fieldErrors: {}, controls: null };
    show("妊娠の届出", [h("h1", { text: "妊娠の届出" })]);
    var res = await api("GET", API + "residents?view=entry&atena_no=" + encodeURIComponent(atena));
    if (!res || token !== seq) return;
    if (res.status !== 200) entry.errors = res.data.errors;
    else if (!res.data.residents.length) entry.missing = true;
    else entry.resident = res.data.residents[0];
    renderEntry();
  }

  function selectOf(options, value) {
    return h("select", { value: value }, [h("option", { value: "", text: "選択してください" })]
      .concat(options.map(function (o) { return h("option", { value: o, text: o }); })));
  }

  function entryFields(v, errs, controls) {
    var fetusSlot = h("div", { "class": "fetus-slot" });
    function updateFetus() {
      if (v.multiple === "はい" && !controls.fetus_count) {
        controls.fetus_count = selectOf(FETUS_COUNTS, v.fetus_count);
        controls.fetus_count.addEventListener("change", function () { v.fetus_count = controls.fetus_count.value; });
        fetusSlot.appendChild(field(LABELS.fetus_count, controls.fetus_count, errs.fetus_count));
      } else if (v.multiple !== "はい" && controls.fetus_count) {
        controls.fetus_count = null;
        fetusSlot.replaceChildren();
      }
    }
    function radios() {
      var legendId = uid();
      var group = uid();
      controls.multiple = [];
      var options = ["いいえ", "はい"].map(function (text) {
        var radio = h("input", { type: "radio", name: group, value: text, id: uid(), checked: v.multiple === text,
          onchange: function () { v.multiple = text; updateFetus(); } });
        controls.multiple.push(radio);
        return h("span", { "class": "radio" }, [radio, h("label", { "for": radio.id, text: text })]);
      });
      var set = h("fieldset", { "class": errs.multiple ? "field radios has-error" : "field radios",
        role: "radiogroup", "aria-labelledby": legendId }, [h("legend", { id: legendId, text: LABELS.multiple })]
        .concat(options));
      if (errs.multiple) set.appendChild(h("p", { "class": "field-error", text: errs.multiple.join(" ") }));
      return set;
    }
    var remarksCount = h("span", { "class": "counter", "aria-hidden": "true", text: v.remarks.length + " / " + MAX_REMARKS });
    var build = {
      notified_on: function () {
        controls.notified_on = h("input", { type: "date", value: v.notified_on });
        return field(LABELS.notified_on, controls.notified_on, errs.notified_on);
      },
      weeks: function () {
        controls.weeks = h("input", { type: "number", min: "1", max: "45", step: "1", value: v.weeks });
        return field(LABELS.weeks, controls.weeks, errs.weeks, h("span", { "class": "unit", text: "週" }));
      },
      due_date: function () {
        controls.due_date = h("input", { type: "date", value: v.due_date });
        return field(LABELS.due_date, controls.due_date, errs.due_date);
      },
      multiple: function () {
        var set = radios();
        updateFetus();
        return h("div", { "class": "multiple-block" }, [set, fetusSlot]);
      },
      clinic: function () {
        controls.clinic = h("input", { type: "text", autocomplete: "off", value: v.clinic });
        return field(LABELS.clinic, controls.clinic, errs.clinic);
      },
      occupation: function () {
        controls.occupation = selectOf(OCCUPATIONS, v.occupation);
        return field(LABELS.occupation, controls.occupation, errs.occupation);
      },
      remarks: function () {
        controls.remarks = h("textarea", { rows: "3", value: v.remarks,
          oninput: function () { remarksCount.textContent = controls.remarks.value.length + " / " + MAX_REMARKS; } });
        return field(LABELS.remarks, controls.remarks, errs.remarks, remarksCount);
      }
    };
    return ORDER.map(function (key) { return build[key](); });
  }

  function readValues() {
    var c = entry.controls;
    var v = entry.values;
    ["notified_on", "weeks", "due_date", "clinic", "occupation", "remarks"].forEach(function (key) {
      v[key] = c[key].value;
    });
    c.multiple.forEach(function (radio) { if (radio.checked) v.multiple = radio.value; });
    if (c.fetus_count) v.fetus_count = c.fetus_count.value;
  }

  function renderEntry() {
    var content = [h("h1", { text: "妊娠の届出" }), errorSummary(entry.errors)];
    if (entry.missing) content.push(notice("該当する住民が見つかりません。"));
    var r = entry.resident;
    if (!r) {
      show("妊娠の届出", content);
      return;
    }
    content.push(h("section", { "class": "readonly", "aria-label": "届出者" }, [
      h("h2", { text: "届出者" }),
      pairs([["宛名番号", r.atena_no], ["氏名", r.name], ["カナ氏名", r.kana], ["生年月日", r.birth_wareki]])
    ]));
    entry.controls = {};
    var button = h("button", { type: "submit", "class": "primary", text: "登録" });
    entry.controls.submit = button;
    var fields = entryFields(entry.values, entry.fieldErrors || {}, entry.controls);
    var formChildren = [h("h2", { text: "届出内容" })];
    if (VARIANT === "v2") formChildren.push(h("div", { "class": "toolbar" }, [button]));
    formChildren = formChildren.concat(fields);
    if (VARIANT !== "v2") formChildren.push(h("div", { "class": "actions" }, [button]));
    content.push(h("form", { "class": VARIANT === "v2" ? "entry grid" : "entry", novalidate: true,
      onsubmit: submitEntry }, formChildren));
    show("妊娠の届出", content);
  }

  async function submitEntry(ev) {
    ev.preventDefault();
    var current = entry;
    if (!current || current.submitting) return;
    readValues();
    current.submitting = true;
    current.controls.submit.disabled = true;
    var v = current.values;
    var body = { atena_no: current.resident.atena_no, notified_on: v.notified_on, weeks: v.weeks,
      due_date: v.due_date, multiple: v.multiple, clinic: v.clinic, occupation: v.occupation, remarks: v.remarks };
    if (v.multiple === "はい") body.fetus_count = v.fetus_count;
    var res = await api("POST", API + "pregnancies", body);
    current.submitting = false;
    if (!res) return;
    if (res.status === 201) {
      showToast("登録しました（受付番号 " + res.data.receipt_no + "）");
      entry = null;
      search = { atena: "", results: null, errors: null };
      go("#/search");
      return;
    }
    if (entry !== current) return;
    current.errors = res.data.errors || ["登録できませんでした。"];
    current.fieldErrors = res.data.field_errors || {};
    renderEntry();
    window.scrollTo(0, 0);
  }

  // --- 妊娠届 照会 ---

  var inquiry = { atena: "", remarks: "", results: null, errors: null };

  function renderInquiry() {
    var atena = h("input", { type: "text", inputmode: "numeric", autocomplete: "off", value: inquiry.atena });
    var remarks = h("input", { type: "text", autocomplete: "off", value: inquiry.remarks });
    var form = h("form", { "class": "search-form", novalidate: true, onsubmit: function (ev) {
      ev.preventDefault();
      runInquiry(atena.value.trim(), remarks.value.trim());
    } }, [field("宛名番号", atena), field("備考（部分一致）", remarks),
      h("button", { type: "submit", "class": "primary", text: "照会" })]);
    var content = [h("h1", { text: "妊娠届 照会" }), errorSummary(inquiry.errors), form];
    if (inquiry.results && inquiry.results.length === 0) content.push(notice("該当する妊娠届はありません。"));
    if (inquiry.results && inquiry.results.length) {
      var heads = ["受付番号", "宛名番号", "氏名", LABELS.notified_on, LABELS.due_date, "備考"];
      content.push(h("h2", { text: "照会結果" }));
      content.push(h("table", { "class": "results", "aria-label": "照会結果" }, [
        h("thead", {}, [h("tr", {}, heads.map(function (t) { return h("th", { scope: "col", text: t }); }))]),
        h("tbody", {}, inquiry.results.map(function (p) {
          return h("tr", {}, [p.receipt_no, p.atena_no, p.name, p.notified_wareki, p.due_wareki, p.remarks]
            .map(function (t) { return h("td", { text: t }); }));
        }))
      ]));
    }
    show("妊娠届 照会", content);
    atena.focus();
  }

  async function runInquiry(atena, remarks) {
    var token = seq;
    inquiry.atena = atena;
    inquiry.remarks = remarks;
    var res = await api("GET", API + "pregnancies?atena_no=" + encodeURIComponent(atena) +
      "&remarks=" + encodeURIComponent(remarks));
    if (!res || token !== seq) return;
    inquiry.results = res.status === 200 ? res.data.pregnancies : null;
    inquiry.errors = res.status === 200 ? null : res.data.errors;
    renderInquiry();
  }

  // --- routing ---

  var seq = 0;

  function route() {
    seq += 1;
    var hash = location.hash;
    var m = /^#\/new\/([^/]+)$/.exec(hash);
    if (hash === "#/search") renderSearch();
    else if (hash === "#/inquiry") renderInquiry();
    else if (m) openEntry(decodeURIComponent(m[1]));
    else {
      history.replaceState(null, "", "#/search");
      renderSearch();
    }
  }

  window.addEventListener("hashchange", route);
  route();
})();
