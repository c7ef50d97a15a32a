/* Helpdesk website chat. One script, no framework, nothing loaded from anywhere else.
   <script src="https://HELPDESK/widget.js" data-helpdesk="KEY" async></script>
   (/widget.js is a small loader that fetches this file by its content hash, cached for a year.)
   Optional: data-user-id and data-user-hash (HMAC-SHA256 of the id with the chat's secret)
   for signed-in users; data-mode="page" fills the page (Helpdesk's own /chat).
   Everything is drawn in a shadow root, so the site's CSS does not reach it, and every
   text is set with textContent, never as HTML. The panel stays closed until the visitor
   opens it; ×, Escape and the button close it and give the focus back to the button. */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !me.dataset.helpdesk) return;
  var base = new URL(me.src).origin;
  var key = me.dataset.helpdesk;
  var pageMode = me.dataset.mode === "page";
  var userId = me.dataset.userId || "", userHash = me.dataset.userHash || "";
  var store = "helpdesk-visitor-" + key;
  var visitor = null;
  try { visitor = localStorage.getItem(store); } catch (e) { /* storage blocked: this visit only */ }
  if (!visitor) {
    var bytes = new Uint8Array(24);
    crypto.getRandomValues(bytes);
    visitor = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    try { localStorage.setItem(store, visitor); } catch (e) { /* ignore */ }
  }
  var who = "visitor=" + encodeURIComponent(visitor) +
    (userId ? "&user_id=" + encodeURIComponent(userId) + "&user_hash=" + encodeURIComponent(userHash) : "");
  var api = base + "/widget/" + encodeURIComponent(key);

  // Light and dark follow the visitor's own setting; every colour is set here, so a site's
  // `color-scheme` cannot turn the boxes dark inside a light panel (or the other way round).
  var css = [
    ":host{all:initial;color-scheme:light;--bg:#f4f5f7;--card:#fff;--ink:#1d2330;--muted:#4f5869;--line:#8a93a3;",
    "--brand:#2457c5;--brand-ink:#fff;--mine:#dbe7ff;--note:#eef3ff;--error:#a4161a;--link:#1f4fb5}",
    "@media (prefers-color-scheme:dark){:host{color-scheme:dark;--bg:#15181e;--card:#22262e;--ink:#eef1f6;",
    "--muted:#b5bdcb;--line:#6f7888;--brand:#3d6fe0;--mine:#20365f;--note:#1d2940;--error:#ff8a8a;--link:#9cbcff}}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
    "[hidden]{display:none!important}",
    ".launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;padding:14px 20px;",
    "background:var(--brand);color:var(--brand-ink);font-size:16px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launch:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f4b400;outline-offset:2px}",
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:360px;max-width:calc(100vw - 24px);",
    "height:520px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:var(--bg);color:var(--ink);",
    "border-radius:16px;box-shadow:0 8px 30px rgba(0,0,0,.3);overflow-x:hidden;overflow-y:auto;font-size:15px;line-height:1.45}",
    /* A phone, a short window or a zoomed page: the panel takes the whole screen and scrolls as one. */
    "@media (max-width:480px),(max-height:560px){.panel{inset:0;width:auto;max-width:none;height:auto;max-height:none;",
    "border-radius:0}.log{flex:1 0 auto;min-height:5em;overflow:visible}}",
    ".page .panel{position:static;width:auto;max-width:680px;height:auto;min-height:100vh;max-height:none;margin:0 auto;",
    "border-radius:0;box-shadow:none;overflow:visible}",
    ".page .log{flex:1 0 auto;overflow:visible}",
    ".page .launch,.page .close{display:none}",
    ".top{background:var(--brand);color:var(--brand-ink);padding:10px 14px;display:flex;align-items:center;gap:8px;flex:none}",
    ".title{flex:1;font-size:16px;font-weight:700;margin:0;overflow-wrap:anywhere}.logo{height:26px;border-radius:4px;background:#fff}",
    ".close{background:transparent;border:1px solid rgba(255,255,255,.6);border-radius:8px;color:var(--brand-ink);",
    "font-size:14px;font-weight:600;padding:4px 10px;cursor:pointer;line-height:1.2}",
    ".close span{font-size:18px;margin-right:4px}",
    ".log{flex:1 1 auto;overflow-y:auto;padding:12px;min-height:4em}",
    ".msg{max-width:85%;margin:8px 0;padding:9px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;background:var(--card)}",
    ".mine{margin-left:auto;background:var(--mine)}",
    ".who{display:block;font-size:12px;color:var(--muted);margin-bottom:2px;white-space:normal}",
    ".hint{color:var(--muted);font-size:13px;margin:6px 0}",
    "form{padding:10px;background:var(--card);border-top:1px solid var(--line);display:flex;flex-direction:column;gap:6px;flex:none}",
    "label{font-size:13px;font-weight:600;color:var(--ink)}",
    "textarea,input{background:var(--card);color:var(--ink);border:1px solid var(--line);border-radius:10px}",
    "textarea{width:100%;min-height:64px;resize:vertical;padding:8px;font-size:15px}",
    "input{width:100%;padding:7px 8px;font-size:14px}",
    ".row{display:flex;align-items:center;gap:8px;flex-wrap:wrap}",
    ".send{margin-left:auto;border:0;border-radius:10px;background:var(--brand);color:var(--brand-ink);padding:8px 18px;font-weight:600;font-size:15px;cursor:pointer}",
    ".send[aria-disabled=true]{opacity:.7;cursor:progress}",
    ".attach,.unattach{border:1px solid var(--line);border-radius:10px;background:transparent;color:var(--ink);padding:6px 10px;font-size:14px;cursor:pointer}",
    ".chosen{font-size:13px;color:var(--muted);overflow-wrap:anywhere}",
    ".keys{font-size:12px;color:var(--muted);margin:0}",
    ".suggest{background:var(--note);border-radius:10px;padding:8px 10px;font-size:14px}.suggest:empty{display:none}",
    ".suggest p{margin:0 0 4px;font-weight:600;font-size:13px}.suggest ul{margin:0;padding-left:18px}.suggest li{margin:3px 0}",
    ".suggest .row button{border:1px solid var(--line);border-radius:10px;background:var(--card);color:var(--ink);padding:5px 10px;font-size:13px;cursor:pointer}",
    ".error{color:var(--error);font-size:13px;margin:0}.error:empty{display:none}",
    ".links{padding:0 12px;margin:4px 0 8px}",
    ".status{margin:0;padding:8px 14px;background:var(--note);color:var(--ink);font-size:13px;flex:none}.status:empty{display:none}",
    ".seen{text-align:right;color:var(--muted);font-size:12px;margin:0 0 4px}",
    "a{color:var(--link)}.file{display:block;margin-top:6px;overflow-wrap:anywhere}",
    "audio,video{display:block;width:100%;margin-top:6px}video{max-height:240px;border-radius:10px}",
    ".len{font-size:12px;color:var(--muted)}.card{display:block;margin-top:6px;padding:6px 8px;border-radius:8px;background:var(--note);white-space:normal}",
    ".choices{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 8px}.choices button{border:2px solid var(--brand);border-radius:16px;",
    "background:var(--card);color:var(--link);padding:6px 12px;font-size:14px;font-weight:600;cursor:pointer}",
    ".pay{max-width:92%;margin:8px 0;padding:10px 12px;border-radius:14px;background:var(--card);border:2px solid var(--brand);white-space:normal}",
    ".pay h3{margin:0;font-size:15px}.pay .money{font-size:22px;font-weight:700;margin:2px 0}",
    ".pay .state{display:inline-block;padding:1px 8px;border-radius:99px;background:var(--note);font-size:12px;font-weight:600}",
    ".pay .paid{background:#d7f5dd;color:#0b5a1c}.pay .go{display:inline-block;margin:8px 6px 0 0;padding:7px 14px;border-radius:10px;",
    "background:var(--brand);color:var(--brand-ink);font-weight:600;text-decoration:none}",
    ".pay .qr{display:block;width:150px;height:150px;margin-top:8px;background:#fff;border-radius:6px}.pay dl{margin:6px 0 0;font-size:13px}",
    ".pay dt{color:var(--muted)}.pay dd{margin:0 0 4px;font-weight:600;overflow-wrap:anywhere}"
  ].join("");

  // The host is a landmark (a complementary region on a shop's page; the main content on /chat).
  var host = document.createElement(pageMode ? "main" : "aside");
  host.setAttribute("data-helpdesk-chat", "");
  if (!pageMode) host.setAttribute("aria-label", "Chat");
  var root = host.attachShadow({ mode: "open" });  // open: screen readers and tests see in; styles still do not
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    var style = document.createElement("style");
    style.textContent = css;
    root.appendChild(style);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  var wrap = el("div", { "class": pageMode ? "page" : "" });
  var launch = el("button", { "class": "launch", type: "button", "aria-expanded": "false", "aria-controls": "hd-panel" }, "Chat with us");
  var panel = el("section", { "class": "panel", id: "hd-panel", "aria-labelledby": "hd-title" });
  var header = el("div", { "class": "top" });
  var logo = el("img", { "class": "logo", alt: "" });
  logo.hidden = true;
  var title = el(pageMode ? "h1" : "h2", { "class": "title", id: "hd-title" }, "Chat");
  // The visible word is the button's name (a screen reader says what a sighted person sees).
  var close = el("button", { "class": "close", type: "button" });
  close.appendChild(el("span", { "aria-hidden": "true" }, "\u00d7"));
  close.appendChild(document.createTextNode("Close"));
  header.appendChild(logo); header.appendChild(title); header.appendChild(close);
  var status = el("p", { "class": "status", "aria-live": "polite" });
  var log = el("div", { "class": "log", role: "log", "aria-label": "Messages" });
  var seen = el("p", { "class": "seen" }, "Seen");
  var typing = el("p", { "class": "seen", "aria-live": "polite" });
  typing.hidden = true;
  var typingTimer = null;
  seen.hidden = true;
  var hint = el("p", { "class": "hint" }, "Write your question: we answer here, and you can come back to it any time.");
  log.appendChild(hint);
  var form = el("form", { "aria-label": "Write to us" });
  var label = el("label", { "for": "hd-body" }, "Your message");
  var body = el("textarea", { id: "hd-body", maxlength: "10000", rows: "3", "aria-describedby": "hd-keys" });
  var keys = el("p", { "class": "keys", id: "hd-keys" }, "Enter sends; Shift+Enter starts a new line.");
  // Help articles that may answer the question while it is typed (the shop's help center).
  var suggest = el("div", { "class": "suggest", "aria-live": "polite" });
  var emailLabel = el("label", { "for": "hd-email" }, "Your email (optional): we'll also answer there");
  var email = el("input", { type: "email", id: "hd-email", maxlength: "254", autocomplete: "email" });
  var files = el("input", { type: "file", multiple: "", tabindex: "-1", "aria-hidden": "true", accept: "image/*,application/pdf,.txt,.doc,.docx" });
  files.hidden = true;  // the button below opens it: the browser's bare "Choose Files" says nothing useful
  var attach = el("button", { "class": "attach", type: "button" }, "Add photos or files");
  var chosen = el("span", { "class": "chosen", "aria-live": "polite" });
  var unattach = el("button", { "class": "unattach", type: "button" }, "Remove files");
  unattach.hidden = true;
  var error = el("p", { "class": "error", role: "alert" });
  var send = el("button", { "class": "send", type: "submit" }, "Send");
  var row = el("div", { "class": "row" });
  [attach, chosen, unattach, send].forEach(function (n) { row.appendChild(n); });
  var link = el("p", { "class": "hint links" });
  [label, body, keys, suggest, emailLabel, email, files, error, row].forEach(function (n) { form.appendChild(n); });
  panel.appendChild(header); panel.appendChild(status); panel.appendChild(log); panel.appendChild(link);
  panel.appendChild(form);
  wrap.appendChild(launch); wrap.appendChild(panel);
  root.appendChild(wrap);
  panel.hidden = !pageMode;  // closed until the visitor asks (the page mode is the chat itself)

  var shown = {}, last = 0, lastMine = false, source = null, sending = false;
  var cards = {};  // a payment card's node and status: redrawn when it is paid, cancelled or expires
  function payCard(p, m) {
    var card = el("section", { "class": "pay", "aria-label": "Payment request: " + p.money });
    var meta = el("span", { "class": "who" }, m.who + " \u00b7 ");
    meta.appendChild(el("time", { datetime: m.at }, m.when || m.at));
    card.appendChild(meta);
    card.appendChild(el("h3", null, "Payment request: " + p.description));
    card.appendChild(el("p", { "class": "money" }, p.money));
    card.appendChild(el("span", { "class": "state" + (p.status === "paid" ? " paid" : "") }, p.state));
    if (p.status === "requested") {
      var ways = el("div");
      if (p.stripe_url) ways.appendChild(el("a", { "class": "go", href: p.stripe_url, target: "_blank", rel: "noopener" }, "Pay by card"));
      if (p.link_url) ways.appendChild(el("a", { "class": "go", href: p.link_url, target: "_blank", rel: "noopener" }, "Pay online"));
      card.appendChild(ways);
      if (p.qr) card.appendChild(el("img", { "class": "qr", src: p.qr, width: "150", height: "150",
        alt: "QR code for your banking app: " + p.money + ", reference " + p.reference }));
      if (p.bank) {
        var dl = el("dl");
        [["Bank transfer to", p.bank.holder], ["IBAN", p.bank.iban], ["BIC", p.bank.bic], ["Reference", p.reference]]
          .forEach(function (pair) { if (pair[1]) { dl.appendChild(el("dt", null, pair[0])); dl.appendChild(el("dd", null, pair[1])); } });
        card.appendChild(dl);
      }
    }
    return card;
  }
  function add(m) {
    if (shown[m.id]) {
      var had = cards[m.id];
      if (had && m.payment && m.payment.status !== had.status) {
        var fresh = payCard(m.payment, m);
        had.node.replaceWith(fresh);
        cards[m.id] = { node: fresh, status: m.payment.status };
      }
      return;
    }
    shown[m.id] = true;
    if (m.id > last) { last = m.id; lastMine = m.mine; }
    hint.hidden = true;
    Array.prototype.forEach.call(log.querySelectorAll(".choices"), function (c) { c.remove(); });  // answered or moved on
    if (m.payment) {
      var card = payCard(m.payment, m);
      cards[m.id] = { node: card, status: m.payment.status };
      log.appendChild(card);
    } else {
      var item = el("div", { "class": "msg" + (m.mine ? " mine" : "") });
      var meta = el("span", { "class": "who" }, m.who + " \u00b7 ");
      meta.appendChild(el("time", { datetime: m.at }, m.when || m.at));  // the shop's time, with its zone's name
      item.appendChild(meta);
      item.appendChild(document.createTextNode(m.body));
      if (m.card) {
        var shared = el("span", { "class": "card" });
        shared.appendChild(m.map ? el("a", { href: m.map, target: "_blank", rel: "noopener" }, m.card) : document.createTextNode(m.card));
        item.appendChild(shared);
      }
      (m.files || []).forEach(function (f) {
        if (f.media) {  // a voice note or a video plays here; its length is said beside it
          item.appendChild(el(f.media, { controls: "", preload: "metadata", src: f.url,
            "aria-label": f.name + (f.length ? ", " + f.length : "") }));
          if (f.length) item.appendChild(el("span", { "class": "len" }, f.length));
        }
        var file = el("a", { href: f.url, target: "_blank", rel: "noopener", "class": "file" }, "\ud83d\udcce " + f.name);
        item.appendChild(file);
      });
      log.appendChild(item);
    }
    if (m.choices && m.choices.length && !m.mine) {
      var choices = el("div", { "class": "choices", role: "group", "aria-label": "Choose an answer" });
      m.choices.forEach(function (c) {
        var b = el("button", { type: "button" }, c);
        b.addEventListener("click", function () { body.value = c; submit(); });
        choices.appendChild(b);
      });
      log.appendChild(choices);
    }
    log.appendChild(seen);  // always under the last message
    log.appendChild(typing);
    typing.hidden = true;
    log.scrollTop = log.scrollHeight;
  }
  function showThread(data) {
    if (data.team) title.textContent = data.team;
    if (data.logo && !logo.getAttribute("src")) { logo.src = data.logo; logo.alt = ""; logo.hidden = false; }
    status.textContent = data.status === "resolved"
      ? "Resolved. Write again any time; how did we do? Rate us on your conversation page."
      : [data.hours, data.promise].filter(Boolean).join(" \u00b7 ");
    seen.hidden = !(data.seen && lastMine);  // "Seen" belongs under the visitor's own last message
    (data.messages || []).forEach(add);
    if (data.link) {
      link.textContent = "";
      link.appendChild(document.createTextNode("On another device? "));
      var a = el("a", { href: data.link, target: "_blank", rel: "noopener" }, "Open this conversation");
      link.appendChild(a);
    }
    if (data.earlier && data.earlier.length) {
      link.appendChild(el("br"));
      link.appendChild(document.createTextNode("Earlier: "));
      data.earlier.forEach(function (e, i) {
        if (i) link.appendChild(document.createTextNode(" \u00b7 "));
        link.appendChild(el("a", { href: e.link, target: "_blank", rel: "noopener" }, e.title));
      });
    }
    if (data.conversation_id && !source) listen();
  }
  function listen() {
    if (!window.EventSource) return;
    source = new EventSource(api + "/events?" + who + "&after=" + last);
    source.addEventListener("typing", function (e) {
      typing.textContent = JSON.parse(e.data).who + " is typing\u2026";
      typing.hidden = false;
      log.appendChild(typing);
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 6000);
    });
    source.addEventListener("message", function (e) {
      add(JSON.parse(e.data));
      load();  // the promise and "seen" change when the team answers
    });
  }
  function load() {
    fetch(api + "/thread?" + who, { credentials: "omit" }).then(function (r) { return r.json(); })
      .then(showThread).catch(function () { /* offline: the form still works when it is back */ });
  }
  function open(yes) {
    panel.hidden = !yes;
    launch.setAttribute("aria-expanded", String(yes));
    if (yes) body.focus(); else launch.focus();
  }
  function showChosen() {
    var names = Array.prototype.map.call(files.files, function (f) { return f.name; });
    chosen.textContent = names.length ? names.join(", ") : "";
    unattach.hidden = !names.length;
  }
  launch.addEventListener("click", function () { open(panel.hidden); });
  close.addEventListener("click", function () { open(false); });
  wrap.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !pageMode && !panel.hidden) { e.preventDefault(); open(false); }
  });
  body.addEventListener("keydown", function (e) {
    // Enter sends, Shift+Enter adds a line; a word still being composed (IME) is not a send.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  var suggestTimer = null, suggestAsked = "", seenArticles = [];
  function showSuggestions(articles) {
    suggest.textContent = "";
    if (!articles.length) return;
    suggest.appendChild(el("p", null, "These might answer it"));
    var list = el("ul");
    articles.forEach(function (a) {
      if (seenArticles.indexOf(a.id) < 0 && seenArticles.length < 5) seenArticles.push(a.id);
      var item = el("li");
      var open = el("a", { href: a.url, target: "_blank", rel: "noopener" }, a.title);
      open.addEventListener("click", function () { answered(a); });
      item.appendChild(open);
      list.appendChild(item);
    });
    suggest.appendChild(list);
  }
  function answered(a) {  // the article opened in a tab: did it answer the question?
    var done = el("div", { "class": "row" });
    var yes = el("button", { type: "button" }, "That answered it");
    var no = el("button", { type: "button" }, "No, I'll send my question");
    yes.addEventListener("click", function () {
      fetch(api + "/answered?" + who, { method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ article: a.id }) }).catch(function () {});
      body.value = ""; suggest.textContent = ""; seenArticles = []; suggestAsked = "";
      status.textContent = "Glad that answered it. Write any time if you need us.";
      body.focus();
    });
    no.addEventListener("click", function () { done.remove(); body.focus(); });
    var old = suggest.querySelector(".row"); if (old) old.remove();
    done.appendChild(yes); done.appendChild(no);
    suggest.appendChild(done);
  }
  body.addEventListener("input", function () {
    clearTimeout(suggestTimer);
    var text = body.value.trim().slice(0, 200);
    if (text.length < 8) { if (!text) suggest.textContent = ""; return; }
    suggestTimer = setTimeout(function () {
      if (text === suggestAsked || sending) return;
      suggestAsked = text;
      fetch(api + "/suggest?q=" + encodeURIComponent(text), { credentials: "omit" }).then(function (r) {
        return r.ok ? r.json() : { articles: [] };
      }).then(function (data) {
        if (suggestAsked === text && !sending) showSuggestions(data.articles || []);
      }).catch(function () {});
    }, 400);
  });
  function submit() {
    form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
  }
  attach.addEventListener("click", function () { files.click(); });
  files.addEventListener("change", showChosen);
  unattach.addEventListener("click", function () { files.value = ""; showChosen(); attach.focus(); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (sending) return;
    var text = body.value.trim();
    if (!text && !files.files.length) { error.textContent = "Write a message or add a file first."; body.focus(); return; }
    // Not `disabled`: a disabled button drops the focus to the page, and Escape would then do nothing.
    sending = true;
    send.setAttribute("aria-disabled", "true");
    error.textContent = "";
    var message = JSON.stringify({ body: text, email: email.value.trim(), seen_articles: seenArticles });
    var request = { method: "POST", credentials: "omit" };
    if (files.files.length) {  // photos and files go as multipart, the text as its JSON part
      var data = new FormData();
      data.append("message", message);
      Array.prototype.forEach.call(files.files, function (f) { data.append("files", f, f.name); });
      request.body = data;
    } else {
      request.headers = { "Content-Type": "application/json" };
      request.body = message;
    }
    fetch(api + "/messages?" + who, request).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || "Not sent");
        body.value = "";
        files.value = "";
        suggest.textContent = ""; seenArticles = []; suggestAsked = "";
        showChosen();
        showThread(data);
      });
    }).catch(function (err) {
      error.textContent = "Not sent: " + err.message + ". Your text is still here.";
    }).then(function () {
      sending = false;
      send.removeAttribute("aria-disabled");
      if (!panel.hidden) body.focus();  // the next message is typed at once
    });
  });
  function start() {
    if (pageMode) document.body.style.margin = "0";  // the chat is the page (Helpdesk's own /chat)
    document.body.appendChild(host);
    load();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
