/*
 * <tactful-chat>: tactful's chat widget for shoppers.
 *
 *   <script src="https://tactful.example/widget.js" defer></script>
 *   <tactful-chat api-base="https://tactful.example" token="tfs1.…" brand-color="#0f766e">
 *   </tactful-chat>
 *
 * Attributes: api-base (the API's address; this page's origin if left out), token (a
 * shopper token the shop's backend got from POST /v1/tokens), brand-color (one CSS
 * colour), currency (an ISO code such as GBP, for prices), open (start opened).
 *
 * Everything the API sends is put on the page as text (textContent, text nodes), never
 * parsed as HTML: titles, reasons and replies are data, not markup.
 */
(() => {
  "use strict";

  const TAG = "tactful-chat";

  const FACTOR_NAMES = {
    taste: "Your own history",
    stated: "What you told me",
    community: "Shoppers with similar taste",
    popularity: "Popular right now",
    trending: "Selling faster lately",
    request: "What you asked for",
    audience: "Who it is for",
    dismissed: "Things you turned down",
    owned: "Things you already have",
    buy_again: "Due for a re-order",
    bought_next: "What shoppers chose next",
    latent: "Shoppers whose choices resemble yours",
    curated: "Picked by a person on our team",
  };

  const EVIDENCE_LEADS = {
    event: "From your history: ",
    fact: "You told me: ",
    query: "You asked for: ",
    list: "Our team: ",
  };

  const SOURCE_NAMES = {
    stated: "You said it",
    inferred: "Guessed from what you did",
    confirmed: "You confirmed it",
    staff: "Set by our team",
  };

  // Thumbs as drawn paths: emoji depend on the shopper's fonts.
  const THUMB_UP = "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 " +
    "6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z";

  const DID = {
    purchase: "bought",
    like: "liked",
    view: "looked at",
    cart: "put in your basket",
    rating: "rated",
    own: "owned",
  };

  const QUESTION_REPLIES = ["For me", "For someone else", "I'd rather not say"];
  const ERASE_REPLIES = ["Yes, erase it all", "No, keep it"];
  const HANDOFF_MESSAGE = "I'd like to talk to a person";
  const MAX_EVIDENCE = 3;

  const STYLE = `
:host { all: initial; --tf-brand: #2563eb; --tf-on-brand: #fff; --tf-accent: #1d4ed8;
  --tf-ink: #1f2933; --tf-muted: #4b5563; --tf-line: #d1d5db; --tf-soft: #f3f4f6;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--tf-ink); }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
button, input, textarea { font: inherit; color: inherit; }
button { cursor: pointer; border: 1px solid var(--tf-line); background: #fff; border-radius: 6px;
  padding: 6px 10px; min-height: 36px; }
button:disabled { cursor: default; opacity: .6; }
button.primary { background: var(--tf-brand); color: var(--tf-on-brand); border-color: var(--tf-brand); }
button.link { border: 0; background: none; padding: 0 2px; min-height: 0; color: var(--tf-accent);
  text-decoration: underline; }
button[aria-pressed="true"] { background: var(--tf-soft); border-color: var(--tf-accent);
  font-weight: 600; }
:focus-visible { outline: 3px solid var(--tf-accent); outline-offset: 2px; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.launcher { position: fixed; right: 16px; bottom: 16px; z-index: 2147483000; border-radius: 999px;
  padding: 12px 18px; background: var(--tf-brand); color: var(--tf-on-brand);
  border-color: var(--tf-brand); box-shadow: 0 4px 14px rgba(0,0,0,.2); font-weight: 600; }
.panel { position: fixed; right: 16px; bottom: 16px; z-index: 2147483001; width: 400px;
  max-width: calc(100vw - 32px); height: min(680px, calc(100vh - 32px)); display: flex;
  flex-direction: column; background: #fff; border: 1px solid var(--tf-line); border-radius: 12px;
  box-shadow: 0 10px 30px rgba(0,0,0,.25); overflow: hidden; }
@media (max-width: 480px) {
  .panel { inset: 0; width: 100%; max-width: none; height: 100%; border-radius: 0; border: 0; }
}
.top { display: flex; align-items: center; gap: 8px; padding: 10px 12px;
  background: var(--tf-brand); color: var(--tf-on-brand); }
.top h2 { flex: 1; margin: 0; font-size: 1.05rem; }
.top button { background: transparent; color: inherit; border-color: transparent; }
.views { display: flex; border-bottom: 1px solid var(--tf-line); }
.views button { flex: 1; border: 0; border-radius: 0; border-bottom: 3px solid transparent;
  background: #fff; }
.views button[aria-current="true"] { border-bottom-color: var(--tf-accent); font-weight: 600; }
.view { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.scroll { flex: 1; min-height: 0; overflow-y: auto; padding: 12px; }
.view h3 { margin: 0 0 8px; font-size: 1rem; }
.view h4 { margin: 16px 0 6px; font-size: .95rem; }
.hint, .meta { color: var(--tf-muted); font-size: .875rem; margin: 4px 0; }
p { margin: 0 0 6px; }
.log { display: flex; flex-direction: column; gap: 10px; }
.msg { max-width: 92%; overflow-wrap: anywhere; word-break: break-word; white-space: pre-wrap; }
.msg.me { align-self: flex-end; background: var(--tf-brand); color: var(--tf-on-brand);
  padding: 8px 12px; border-radius: 12px 12px 2px 12px; }
.msg.agent { align-self: stretch; max-width: 100%; }
.msg.agent > .text { background: var(--tf-soft); padding: 8px 12px;
  border-radius: 12px 12px 12px 2px; display: inline-block; max-width: 100%; }
.msg.error > .text { background: #fef2f2; color: #991b1b; }
.msg.staff { align-self: stretch; max-width: 100%; }
.msg.staff > .who { display: block; font-size: .75rem; color: var(--tf-muted); margin-bottom: 2px; }
.msg.staff > .text { background: #fffbeb; border: 1px solid #fcd34d; padding: 8px 12px;
  border-radius: 12px; display: block; }
.msg.note > .text { background: none; color: var(--tf-muted); font-size: .875rem; padding: 0; }
.cards { list-style: none; margin: 8px 0 0; padding: 0; display: grid; gap: 8px; white-space: normal; }
.card { border: 1px solid var(--tf-line); border-radius: 8px; padding: 10px; overflow-wrap: anywhere; }
.card.dismissed { opacity: .7; }
.card h4 { margin: 0; font-size: .95rem; }
.price { font-weight: 700; margin: 2px 0; }
.reason { margin: 4px 0 8px; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; }
.why { margin-top: 8px; padding: 8px; background: var(--tf-soft); border-radius: 6px; }
.factors, .evidence, .facts, .signals { list-style: none; margin: 0; padding: 0; }
.factor { margin: 6px 0; }
.bar { height: 6px; background: #fff; border-radius: 3px; overflow: hidden; margin: 2px 0; }
.bar > span { display: block; height: 100%; background: var(--tf-accent); }
.evidence li { font-size: .875rem; margin-left: 8px; }
.quick { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; white-space: normal; }
.handover { margin: 0; padding: 8px 12px; background: #fffbeb; border-bottom: 1px solid #fcd34d;
  display: flex; flex-wrap: wrap; gap: 8px; align-items: center; overflow-wrap: anywhere; }
.handover p { flex: 1 1 200px; margin: 0; }
.tools { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; padding: 6px 12px;
  border-top: 1px solid var(--tf-line); }
.rating { display: flex; flex-wrap: wrap; gap: 4px; align-items: center; border: 0; margin: 0; padding: 0; }
.rating legend { float: left; margin-right: 4px; font-size: .875rem; }
.rating button { min-width: 34px; padding: 4px 6px; }
.actions button { display: inline-flex; align-items: center; gap: 4px; }
.composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid var(--tf-line); }
.composer textarea { flex: 1; min-width: 0; resize: none; padding: 8px; border: 1px solid #6b7280;
  border-radius: 6px; min-height: 40px; max-height: 120px; }
.fact { border-bottom: 1px solid var(--tf-line); padding: 8px 0; overflow-wrap: anywhere; }
.fact form { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
.fact input { flex: 1 1 180px; min-width: 0; padding: 6px; border: 1px solid #6b7280; border-radius: 6px; }
.fact label { flex-basis: 100%; font-size: .875rem; }
.signals li { font-size: .875rem; margin: 2px 0; overflow-wrap: anywhere; }
.switch-row { display: flex; align-items: center; gap: 10px; justify-content: space-between; }
[role="switch"] { min-width: 64px; }
[role="switch"][aria-checked="true"] { background: var(--tf-brand); color: var(--tf-on-brand);
  border-color: var(--tf-brand); }
.stack { display: flex; flex-wrap: wrap; gap: 8px; }
.confirm { margin-top: 8px; padding: 8px; border: 1px solid #fca5a5; border-radius: 6px; background: #fef2f2; }
button.danger { background: #b91c1c; color: #fff; border-color: #b91c1c; }
`;

  // -- small helpers -----------------------------------------------------------------

  /** An element; `text` becomes textContent, `on…` a listener, the rest attributes. */
  function h(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    // append() turns strings into text nodes, so children are never parsed as HTML.
    for (const child of [].concat(children === undefined ? [] : children)) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function asDate(value) {
    // The API's times are UTC without a zone: say so, or they read as local time.
    const text = String(value);
    return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : text + "Z");
  }

  function formatDate(value) {
    const date = asDate(value);
    if (Number.isNaN(date.getTime())) return "";
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(date);
  }

  function relativeLuminance(rgb) {
    const [r, g, b] = rgb.map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }

  function contrast(a, b) {
    const [hi, lo] = [a, b].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }

  /** The colours that go with a brand colour and stay readable (WCAG AA, 4.5:1). */
  function brandPalette(rgb) {
    const brand = relativeLuminance(rgb);
    const white = 1;
    const ink = relativeLuminance([17, 24, 39]);
    const readableOnWhite = contrast(brand, white) >= 4.5;
    return {
      onBrand: contrast(brand, white) >= contrast(brand, ink) ? "#fff" : "#111827",
      accent: readableOnWhite ? `rgb(${rgb.join(",")})` : "#1f2933",
    };
  }

  function parseRgb(text) {
    const parts = (text.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
    return parts.length === 3 ? parts : null;
  }

  // -- the API -----------------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, status, code) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function apiError(response) {
    let message = `The server answered ${response.status}.`;
    let code = "";
    try {
      const body = await response.json();
      if (body && body.error) {
        message = body.error.message || message;
        code = body.error.code || "";
      }
    } catch (_) {
      // Not JSON (a proxy's error page): the status line says enough.
    }
    return new ApiError(message, response.status, code);
  }

  class Api {
    constructor(base, token) {
      this.base = (base || "").replace(/\/+$/, "");
      this.token = token;
    }

    async send(method, path, body) {
      const headers = { Authorization: `Bearer ${this.token}` };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const response = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw await apiError(response);
      return response;
    }

    async json(method, path, body) {
      return (await this.send(method, path, body)).json();
    }
  }

  /** One Server-Sent Event block ("event: …\ndata: …") as {name, data}. */
  function parseEvent(block) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    return data.length ? { name, data: JSON.parse(data.join("\n")) } : null;
  }

  /** The events of a text/event-stream response, as they arrive. */
  async function* streamEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
      let cut = buffer.indexOf("\n\n");
      while (cut >= 0) {
        const event = parseEvent(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (event) yield event;
        cut = buffer.indexOf("\n\n");
      }
    }
  }

  // -- the element -------------------------------------------------------------------

  class TactfulChat extends HTMLElement {
    static get observedAttributes() {
      return ["api-base", "token", "brand-color", "open"];
    }

    constructor() {
      super();
      this.root = this.attachShadow({ mode: "open" });
      this.seq = 0;
      this.busy = false;
      this.conversationId = null;
      this.handover = null;
      this.facts = [];
      this.ui = {};
    }

    connectedCallback() {
      if (!this.ui.panel) this.build();
      this.applyBrand();
      this.setOpen(this.hasAttribute("open"), false);
      this.startSession();
    }

    attributeChangedCallback(name, before, after) {
      if (!this.ui.panel || before === after) return;
      if (name === "brand-color") this.applyBrand();
      if (name === "open") this.setOpen(after !== null, false);
      if (name === "token" || name === "api-base") this.startSession();
    }

    get api() {
      return new Api(this.getAttribute("api-base") || "", this.getAttribute("token") || "");
    }

    uid(prefix) {
      this.seq += 1;
      return `${prefix}-${this.seq}`;
    }

    // -- building the panel ------------------------------------------------------------

    build() {
      const ui = this.ui;
      ui.launcher = h("button", {
        class: "launcher", type: "button", "aria-expanded": "false", "aria-controls": "panel",
        text: "Chat with us", onclick: () => this.setOpen(true, true),
      });
      ui.title = h("h2", { id: "title", text: "Shopping assistant" });
      ui.close = h("button", {
        type: "button", "aria-label": "Close the chat", text: "✕",
        onclick: () => this.setOpen(false, true),
      });
      ui.status = h("div", { class: "sr-only", role: "status", "aria-live": "polite" });
      ui.views = {};
      ui.viewButtons = {};
      const nav = h("nav", { class: "views", "aria-label": "Chat sections" }, [
        this.viewButton("chat", "Chat"),
        this.viewButton("about", "About me"),
        this.viewButton("privacy", "Your data"),
      ]);
      ui.panel = h("section", {
        id: "panel", class: "panel", role: "region", "aria-labelledby": "title", hidden: true,
        onkeydown: (event) => this.onKey(event),
      }, [
        h("div", { class: "top" }, [ui.title, ui.close]),
        nav,
        this.buildChat(),
        this.buildAbout(),
        this.buildPrivacy(),
        ui.status,
      ]);
      this.root.append(h("style", { text: STYLE }), ui.launcher, ui.panel);
      this.showView("chat", false);
    }

    viewButton(name, label) {
      const button = h("button", {
        type: "button", "aria-controls": `view-${name}`, text: label,
        onclick: () => this.showView(name, true),
      });
      this.ui.viewButtons[name] = button;
      return button;
    }

    buildChat() {
      const ui = this.ui;
      ui.handoverText = h("p");
      ui.callOff = h("button", { type: "button", text: "Call it off", onclick: () => this.callOff() });
      ui.handover = h("div", { class: "handover", hidden: true }, [ui.handoverText, ui.callOff]);
      ui.log = h("div", {
        class: "log scroll", role: "log", "aria-live": "polite", "aria-label": "Conversation",
        tabindex: "0",
      });
      ui.person = h("button", {
        type: "button", text: "Talk to a person", onclick: () => this.askForPerson(),
      });
      ui.rating = this.buildRating();
      ui.input = h("textarea", {
        id: "message", rows: "1", maxlength: "2000", placeholder: "Ask for anything…",
        onkeydown: (event) => this.onComposerKey(event),
      });
      ui.send = h("button", { type: "submit", class: "primary", text: "Send" });
      const composer = h("form", {
        class: "composer", onsubmit: (event) => {
          event.preventDefault();
          this.sendMessage(ui.input.value);
        },
      }, [h("label", { for: "message", class: "sr-only", text: "Your message" }), ui.input, ui.send]);
      return this.view("chat", [
        ui.handover, ui.log, h("div", { class: "tools" }, [ui.person, ui.rating]), composer,
      ]);
    }

    buildRating() {
      const buttons = [1, 2, 3, 4, 5].map((score) => h("button", {
        type: "button", "aria-pressed": "false", "aria-label": `${score} out of 5`,
        text: String(score), onclick: () => this.rate(score),
      }));
      this.ui.ratingButtons = buttons;
      const scores = h("fieldset", { id: "scores", class: "rating", hidden: true }, [
        h("legend", { text: "Rate this chat" }), ...buttons,
      ]);
      const opener = h("button", {
        type: "button", "aria-expanded": "false", "aria-controls": "scores", text: "Rate this chat",
        onclick: () => {
          opener.hidden = true;
          scores.hidden = false;
          buttons[0].focus();
        },
      });
      return h("div", { class: "rate", hidden: true }, [opener, scores]);
    }

    buildAbout() {
      const ui = this.ui;
      ui.aboutHeading = h("h3", { id: "about-h", tabindex: "-1", text: "What tactful thinks about me" });
      ui.facts = h("ul", { class: "facts", "aria-label": "What I know about you" });
      ui.noFacts = h("p", {
        class: "hint", text: "Nothing yet. Tell me what you like, or don't, in the chat.",
      });
      ui.signals = h("ul", { class: "signals" });
      ui.signalsBlock = h("div", { hidden: true }, [
        h("h4", { text: "From what you did" }),
        h("p", { class: "hint", text: "Recent things count most; older ones fade on their own." }),
        ui.signals,
      ]);
      return this.view("about", [h("div", { class: "scroll", tabindex: "0", "aria-labelledby": "about-h" }, [
        ui.aboutHeading,
        h("p", {
          class: "hint",
          text: "All of this shapes your suggestions. Correct or delete anything that's wrong; " +
            "it counts from the very next answer.",
        }),
        ui.noFacts, ui.facts, ui.signalsBlock,
      ])]);
    }

    buildPrivacy() {
      const ui = this.ui;
      ui.privacyHeading = h("h3", { id: "privacy-h", tabindex: "-1", text: "Your data and choices" });
      ui.personalized = h("button", {
        type: "button", role: "switch", "aria-checked": "true", "aria-labelledby": "pers-label",
        "aria-describedby": "pers-hint", text: "On", onclick: () => this.togglePersonalized(),
      });
      ui.eraseConfirm = h("div", { class: "confirm", role: "group", "aria-labelledby": "erase-q", hidden: true }, [
        h("p", {
          id: "erase-q",
          text: "Erase everything tactful holds about you: what you told me, your history, " +
            "our conversations? This can't be undone.",
        }),
        h("div", { class: "stack" }, [
          h("button", { type: "button", class: "danger", text: "Yes, erase everything", onclick: () => this.erase() }),
          h("button", { type: "button", text: "Cancel", onclick: () => this.cancelErase() }),
        ]),
      ]);
      ui.eraseButton = h("button", {
        type: "button", text: "Erase my data…", "aria-expanded": "false",
        onclick: () => this.confirmErase(),
      });
      return this.view("privacy", [h("div", { class: "scroll", tabindex: "0", "aria-labelledby": "privacy-h" }, [
        ui.privacyHeading,
        h("div", { class: "switch-row" }, [
          h("span", { id: "pers-label", text: "Personalized suggestions" }), ui.personalized,
        ]),
        h("p", {
          id: "pers-hint", class: "hint",
          text: "Off: suggestions ignore your history and what you told me, and are the same for everyone.",
        }),
        h("h4", { text: "Your data" }),
        h("div", { class: "stack" }, [
          h("button", { type: "button", text: "Download my data", onclick: () => this.download() }),
          ui.eraseButton,
        ]),
        ui.eraseConfirm,
      ])]);
    }

    view(name, children) {
      const node = h("div", { id: `view-${name}`, class: "view" }, children);
      this.ui.views[name] = node;
      return node;
    }

    // -- opening, closing, switching ----------------------------------------------------

    setOpen(open, moveFocus) {
      const ui = this.ui;
      ui.panel.hidden = !open;
      ui.launcher.hidden = open;
      ui.launcher.setAttribute("aria-expanded", String(open));
      if (!moveFocus) return;
      if (open) ui.input.focus();
      else ui.launcher.focus();
    }

    showView(name, moveFocus) {
      for (const [key, node] of Object.entries(this.ui.views)) {
        node.hidden = key !== name;
        this.ui.viewButtons[key].setAttribute("aria-current", String(key === name));
      }
      if (name === "about") this.loadProfile();
      if (!moveFocus) return;
      const target = { chat: this.ui.input, about: this.ui.aboutHeading, privacy: this.ui.privacyHeading }[name];
      target.focus();
    }

    onKey(event) {
      if (event.key === "Escape") {
        event.stopPropagation();
        this.setOpen(false, true);
      }
    }

    onComposerKey(event) {
      // Enter sends; Shift+Enter starts a new line.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.sendMessage(this.ui.input.value);
      }
    }

    announce(text) {
      this.ui.status.textContent = "";
      // A fresh text node after clearing, so the same words are announced again.
      window.setTimeout(() => { this.ui.status.textContent = text; }, 50);
    }

    applyBrand() {
      const colour = this.getAttribute("brand-color");
      if (!colour || !CSS.supports("color", colour)) return;
      const probe = h("span", { hidden: true });
      probe.style.color = colour;
      this.root.append(probe);
      const rgb = parseRgb(getComputedStyle(probe).color);
      probe.remove();
      if (!rgb) return;
      const palette = brandPalette(rgb);
      this.style.setProperty("--tf-brand", colour);
      this.style.setProperty("--tf-on-brand", palette.onBrand);
      this.style.setProperty("--tf-accent", palette.accent);
    }

    // -- a session: one shopper token ------------------------------------------------------

    startSession() {
      this.conversationId = null;
      this.ui.log.replaceChildren();
      this.ui.rating.hidden = true;
      this.showHandover(null);
      if (!this.getAttribute("token")) {
        this.addNote("Sign in to chat.");
        return;
      }
      this.addNote("Hi! Ask me for anything: a gift, something for you, or just a browse.");
      this.loadProfile();
    }

    loadProfile() {
      if (!this.getAttribute("token")) return Promise.resolve();
      // Only the latest load draws, and whoever waits for the profile waits for that one:
      // an older answer arriving late would redraw the list and take the focus away.
      const load = (this.profileLoads = (this.profileLoads || 0) + 1);
      this.profileLoad = (async () => {
        try {
          const profile = await this.api.json("GET", "/v1/shoppers/me/profile");
          if (load === this.profileLoads) this.renderProfile(profile);
        } catch (error) {
          this.fail(error);
        }
      })();
      return this.profileLoad;
    }

    renderProfile(profile) {
      this.setPersonalizedSwitch(profile.shopper.personalized);
      const open = (profile.escalations || []).filter((e) => isOpen(e.status));
      if (open.length) this.showHandover(open[open.length - 1]);
      this.facts = profile.facts.filter((fact) => fact.status === "active");
      this.ui.facts.replaceChildren(...this.facts.map((fact) => this.factItem(fact)));
      this.ui.noFacts.hidden = this.facts.length > 0;
      const signals = (profile.signals || []).filter((s) => s.weight > 0).slice(0, 5);
      this.ui.signals.replaceChildren(...signals.map((s) => h("li", {
        text: `${s.title}: ${DID[s.kind] || s.kind}, last on ${formatDate(s.last_at)}`,
      })));
      this.ui.signalsBlock.hidden = signals.length === 0;
    }

    // -- chatting -----------------------------------------------------------------------

    async sendMessage(raw) {
      const text = raw.trim();
      if (!text || this.busy) return;
      if (!this.getAttribute("token")) {
        this.addNote("Sign in to chat.");
        return;
      }
      this.ui.input.value = "";
      this.addMessage("me", text);
      const bubble = this.addMessage("agent", "");
      bubble.setAttribute("aria-busy", "true");
      this.setBusy(true);
      try {
        const body = { message: text };
        if (this.conversationId) body.conversation_id = this.conversationId;
        const response = await this.api.send("POST", "/v1/chat/stream", body);
        await this.readStream(response, bubble);
      } catch (error) {
        bubble.remove();
        this.fail(error);
      } finally {
        bubble.removeAttribute("aria-busy");
        this.setBusy(false);
      }
    }

    async readStream(response, bubble) {
      const text = bubble.querySelector(".text");
      for await (const event of streamEvents(response)) {
        if (event.name === "delta") {
          text.append(event.data.text);
          this.scrollLog();
        } else if (event.name === "done") {
          this.renderReply(bubble, event.data);
        }
      }
    }

    setBusy(busy) {
      this.busy = busy;
      this.ui.send.disabled = busy;
    }

    addMessage(who, text) {
      const node = h("div", { class: `msg ${who}` }, [
        h("span", { class: "sr-only", text: who === "me" ? "You said: " : "Assistant: " }),
        h("span", { class: "text", text }),
      ]);
      this.ui.log.append(node);
      this.scrollLog();
      return node;
    }

    addNote(text) {
      const node = this.addMessage("agent", text);
      node.classList.add("note");
      return node;
    }

    scrollLog() {
      this.ui.log.scrollTop = this.ui.log.scrollHeight;
    }

    renderReply(bubble, reply) {
      this.conversationId = reply.conversation_id;
      this.ui.rating.hidden = false;
      bubble.querySelector(".text").textContent = reply.text;
      this.setPersonalizedSwitch(reply.personalized);
      if (reply.suggestions && reply.suggestions.length) {
        bubble.append(this.cardList(reply.suggestions));
        // While an experiment runs, only lists a shopper saw count: say this one is on screen.
        if (reply.exposure_id) {
          this.api.send("POST", `/v1/exposures/${encodeURIComponent(reply.exposure_id)}/shown`)
            .catch(() => {});
        }
      }
      const replies = reply.question ? QUESTION_REPLIES : reply.confirming === "erase" ? ERASE_REPLIES : null;
      if (replies) bubble.append(this.quickReplies(replies));
      if (reply.escalation) this.showHandover(reply.escalation);
      else if (this.handover && this.handover.conversation_id === reply.conversation_id) this.refreshHandover();
      if (reply.facts_changed && reply.facts_changed.length) bubble.append(this.factsChangedNote());
      if (reply.export_file) bubble.append(h("div", { class: "quick" }, [this.downloadButton()]));
      if (reply.erased) this.afterErase();
      this.scrollLog();
    }

    quickReplies(texts) {
      const group = h("div", { class: "quick", role: "group", "aria-label": "Quick replies" });
      for (const text of texts) {
        group.append(h("button", {
          type: "button", text, onclick: () => {
            group.remove();
            this.ui.input.focus();
            this.sendMessage(text);
          },
        }));
      }
      return group;
    }

    factsChangedNote() {
      return h("p", { class: "meta" }, [
        "I've updated what I know about you. ",
        h("button", { type: "button", class: "link", text: "Review it", onclick: () => this.showView("about", true) }),
      ]);
    }

    fail(error) {
      if (error && error.code === "token_expired") {
        this.dispatchEvent(new CustomEvent("tactful-token-expired", { bubbles: true, composed: true }));
      }
      const message = error && error.message ? error.message : "Something went wrong.";
      const node = this.addMessage("agent", message);
      node.classList.add("error");
    }

    // -- suggestion cards ----------------------------------------------------------------

    cardList(suggestions) {
      return h("ul", { class: "cards", "aria-label": "Suggestions" }, suggestions.map((s) => this.card(s)));
    }

    card(suggestion) {
      const item = suggestion.item;
      const id = this.uid("card");
      const why = h("div", { id: `${id}-why`, class: "why", hidden: true });
      const whyButton = h("button", {
        type: "button", "aria-expanded": "false", "aria-controls": `${id}-why`,
        text: "Why am I seeing this?",
        onclick: () => this.toggleWhy(whyButton, why, suggestion),
      });
      const card = h("li", { class: "card" }, [
        h("h4", { id: `${id}-t`, text: item.title }),
        item.price !== null && item.price !== undefined
          ? h("p", { class: "price", text: this.price(item.price) }) : null,
        h("p", { class: "reason", text: suggestion.reason }),
      ]);
      card.append(h("div", { class: "actions" }, [
        this.feedbackButton(card, item, "up", thumb(false), `I like ${item.title}`),
        this.feedbackButton(card, item, "down", thumb(true), `I don't like ${item.title}`),
        this.feedbackButton(card, item, "not_for_me", "Not for me", `${item.title} is not for me`),
        whyButton,
      ]), why);
      return card;
    }

    price(value) {
      const currency = this.getAttribute("currency");
      if (currency) {
        try {
          return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(value);
        } catch (_) {
          // An unknown currency code: show the number alone.
        }
      }
      return Number(value).toFixed(2);
    }

    feedbackButton(card, item, value, content, name) {
      const button = h("button", {
        type: "button", "aria-pressed": "false", "aria-label": name, "data-feedback": value,
        onclick: () => this.sendFeedback(card, item, value, button),
      }, content);
      return button;
    }

    async sendFeedback(card, item, value, button) {
      const body = { value, item_id: item.item_id };
      if (this.conversationId) body.conversation_id = this.conversationId;
      try {
        await this.api.json("POST", "/v1/shoppers/me/feedback", body);
      } catch (error) {
        this.fail(error);
        return;
      }
      for (const other of card.querySelectorAll("[data-feedback]")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
      card.classList.toggle("dismissed", value !== "up");
      this.announce(value === "up" ? "Thanks, noted." : "Got it: I'll show you less like this.");
    }

    toggleWhy(button, panel, suggestion) {
      const open = button.getAttribute("aria-expanded") !== "true";
      if (open && !panel.childElementCount) panel.append(...this.whyContent(suggestion));
      button.setAttribute("aria-expanded", String(open));
      panel.hidden = !open;
    }

    whyContent(suggestion) {
      const factors = [...(suggestion.factors || [])].sort((a, b) => b.contribution - a.contribution);
      const positive = factors.reduce((sum, f) => sum + Math.max(0, f.contribution), 0) || 1;
      const items = factors.filter((f) => f.contribution !== 0).map((f) => this.factorItem(f, positive));
      return [
        h("p", { text: suggestion.reason }),
        h("p", { class: "hint", text: "What went into this suggestion, biggest first:" }),
        h("ul", { class: "factors" }, items),
      ];
    }

    factorItem(factor, positive) {
      const name = FACTOR_NAMES[factor.name] || factor.name;
      const share = Math.round((100 * Math.max(0, factor.contribution)) / positive);
      const label = factor.contribution > 0 ? `${name}: ${share}%` : `${name}: counted against it`;
      const evidence = (factor.evidence || []).filter((e) => e.label).slice(0, MAX_EVIDENCE);
      return h("li", { class: "factor" }, [
        h("span", { text: label }),
        factor.contribution > 0
          ? h("div", { class: "bar", "aria-hidden": "true" }, [h("span", { style: `width:${share}%` })]) : null,
        evidence.length ? h("ul", { class: "evidence" }, evidence.map((e) => this.evidenceItem(e))) : null,
      ]);
    }

    evidenceItem(evidence) {
      const item = h("li", { text: (EVIDENCE_LEADS[evidence.kind] || "") + evidence.label });
      if (evidence.kind === "fact") {
        item.append(" ", h("button", {
          type: "button", class: "link", text: "See or change it",
          onclick: () => this.showFact(evidence.ref),
        }));
      }
      return item;
    }

    // -- what tactful thinks about me -----------------------------------------------------

    factItem(fact) {
      const row = h("li", { class: "fact", "data-fact-id": fact.fact_id });
      this.showFactRow(row, fact);
      return row;
    }

    showFactRow(row, fact) {
      const source = SOURCE_NAMES[fact.source] || fact.source;
      row.replaceChildren(
        h("p", { class: "fact-text", text: fact.text }),
        h("p", { class: "meta", text: `${source}, ${formatDate(fact.reinforced_at || fact.created_at)}` }),
        h("div", { class: "actions" }, [
          h("button", {
            type: "button", "data-action": "correct", text: "Correct", "aria-label": `Correct: ${fact.text}`,
            onclick: () => this.editFact(row, fact),
          }),
          h("button", {
            type: "button", "data-action": "delete", text: "Delete", "aria-label": `Delete: ${fact.text}`,
            onclick: () => this.deleteFact(row, fact),
          }),
        ]),
      );
    }

    editFact(row, fact) {
      const id = this.uid("fix");
      const input = h("input", { id, type: "text", maxlength: "500" });
      input.value = fact.text;
      const cancel = () => {
        this.showFactRow(row, fact);
        row.querySelector("[data-action=correct]").focus();
      };
      row.replaceChildren(h("p", { class: "fact-text", text: fact.text }), h("form", {
        onsubmit: (event) => {
          event.preventDefault();
          this.saveFact(row, fact, input.value);
        },
        onkeydown: (event) => {
          if (event.key === "Escape") {
            event.stopPropagation();
            cancel();
          }
        },
      }, [
        h("label", { for: id, text: "What's right instead" }),
        input,
        h("button", { type: "submit", class: "primary", text: "Save" }),
        h("button", { type: "button", text: "Cancel", onclick: cancel }),
      ]));
      input.focus();
      input.select();
    }

    async saveFact(row, fact, raw) {
      const text = raw.trim();
      if (!text) return;
      try {
        const fixed = await this.api.json("PUT", `/v1/shoppers/me/facts/${encodeURIComponent(fact.fact_id)}`, { text });
        row.dataset.factId = fixed.fact_id;
        this.showFactRow(row, fixed);
        row.querySelector("[data-action=correct]").focus();
        this.announce(`Corrected: ${fixed.text}`);
      } catch (error) {
        this.announce(error.message);
      }
    }

    async deleteFact(row, fact) {
      try {
        await this.api.json("DELETE", `/v1/shoppers/me/facts/${encodeURIComponent(fact.fact_id)}`);
      } catch (error) {
        this.announce(error.message);
        return;
      }
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      this.facts = this.facts.filter((f) => f.fact_id !== fact.fact_id);
      this.ui.noFacts.hidden = this.facts.length > 0;
      const focus = next ? next.querySelector("[data-action=delete]") : this.ui.aboutHeading;
      focus.focus();
      this.announce(`Deleted: ${fact.text}. Your next suggestions won't use it.`);
    }

    async showFact(factId) {
      this.showView("about", true);  // loads the profile afresh
      await this.profileLoad;
      const row = [...this.ui.facts.children].find((r) => r.dataset.factId === factId);
      if (row) row.querySelector("[data-action=correct]").focus();
    }

    // -- personalization, data, rating -------------------------------------------------------

    setPersonalizedSwitch(on) {
      this.ui.personalized.setAttribute("aria-checked", String(Boolean(on)));
      this.ui.personalized.textContent = on ? "On" : "Off";
    }

    async togglePersonalized() {
      const on = this.ui.personalized.getAttribute("aria-checked") !== "true";
      try {
        const result = await this.api.json("PUT", "/v1/shoppers/me/personalization", { personalized: on });
        this.setPersonalizedSwitch(result.personalized);
        this.announce(result.personalized
          ? "Personalized suggestions are on."
          : "Personalized suggestions are off: everyone sees the same suggestions.");
      } catch (error) {
        this.announce(error.message);
      }
    }

    downloadButton() {
      return h("button", { type: "button", text: "Download my data", onclick: () => this.download() });
    }

    async download() {
      try {
        const response = await this.api.send("GET", "/v1/shoppers/me/export");
        const url = URL.createObjectURL(await response.blob());
        const link = h("a", { href: url, download: "tactful-export.json", hidden: true });
        this.root.append(link);
        link.click();
        link.remove();
        window.setTimeout(() => URL.revokeObjectURL(url), 10000);
        this.announce("Your data is downloading.");
      } catch (error) {
        this.announce(error.message);
      }
    }

    confirmErase() {
      this.ui.eraseConfirm.hidden = false;
      this.ui.eraseButton.setAttribute("aria-expanded", "true");
      this.ui.eraseConfirm.querySelector("button:not(.danger)").focus();
    }

    cancelErase() {
      this.ui.eraseConfirm.hidden = true;
      this.ui.eraseButton.setAttribute("aria-expanded", "false");
      this.ui.eraseButton.focus();
    }

    async erase() {
      try {
        const report = await this.api.json("DELETE", "/v1/shoppers/me");
        this.cancelErase();
        this.afterErase();
        this.announce(`Erased: ${describeCounts(report)}.`);
      } catch (error) {
        this.announce(error.message);
      }
    }

    afterErase() {
      this.conversationId = null;
      this.ui.rating.hidden = true;
      this.showHandover(null);
      this.facts = [];
      this.ui.facts.replaceChildren();
      this.ui.noFacts.hidden = false;
      this.ui.signalsBlock.hidden = true;
      this.addNote("Everything I held about you is erased. You can start afresh.");
    }

    async rate(score) {
      if (!this.conversationId) return;
      try {
        await this.api.json("POST", "/v1/shoppers/me/ratings", { conversation_id: this.conversationId, score });
      } catch (error) {
        this.announce(error.message);
        return;
      }
      this.ui.ratingButtons.forEach((b, i) => b.setAttribute("aria-pressed", String(i + 1 === score)));
      this.announce(`Thanks for rating this chat ${score} out of 5.`);
    }

    // -- a person -----------------------------------------------------------------------------

    async askForPerson() {
      if (!this.conversationId) {
        await this.sendMessage(HANDOFF_MESSAGE);
        return;
      }
      try {
        const escalation = await this.api.json("POST", "/v1/shoppers/me/escalations", {
          conversation_id: this.conversationId, reason: "asked for a person",
        });
        this.showHandover(escalation);
        this.addNote("I've asked a member of the team to join. I can keep helping until they do.");
      } catch (error) {
        this.fail(error);
      }
    }

    showHandover(escalation) {
      this.handover = escalation && isOpen(escalation.status) ? escalation : null;
      const ui = this.ui;
      ui.handover.hidden = !this.handover;
      ui.person.hidden = Boolean(this.handover);
      if (!this.handover) {
        this.stopLive();
        return;
      }
      ui.handoverText.textContent = this.handover.status === "with_staff"
        ? `${this.handover.staff || "A member of the team"} from the team is with you now.`
        : "Waiting for a person from the team. You can keep chatting meanwhile.";
      this.startLive(this.handover.conversation_id);
    }

    /** Follow the hand-over as it happens: the person joining, what they say, and the
     * conversation coming back to the assistant. One stream per conversation. */
    async startLive(conversationId) {
      if (!conversationId || (this.live && this.live.conversationId === conversationId)) return;
      this.stopLive();
      const live = { conversationId, abort: new AbortController() };
      this.live = live;
      const path = `/v1/shoppers/me/conversations/${encodeURIComponent(conversationId)}/live`;
      try {
        const response = await fetch(this.api.base + path, {
          headers: { Authorization: `Bearer ${this.api.token}` },
          signal: live.abort.signal,
        });
        if (!response.ok) throw await apiError(response);
        for await (const event of streamEvents(response)) {
          if (this.live !== live) return;
          if (event.name === "turn") this.addStaffMessage(event.data);
          else if (event.name === "handover") this.onLiveHandover(event.data);
          else if (event.name === "error") break;
        }
      } catch (_) {
        // Closed on purpose, or the network went: the next reply checks the hand-over again.
      }
      if (this.live === live) this.live = null;
    }

    stopLive() {
      if (this.live) this.live.abort.abort();
      this.live = null;
    }

    onLiveHandover(escalation) {
      const before = this.handover;
      if (escalation && isOpen(escalation.status)) {
        if (before && before.status !== escalation.status && escalation.status === "with_staff") {
          this.addNote(`${escalation.staff || "A member of the team"} from the team has joined.`);
        }
        this.showHandover(escalation);
        return;
      }
      if (before && escalation && escalation.escalation_id === before.escalation_id) {
        const who = escalation.staff || "The team";
        if (escalation.status === "handed_back") this.addNote(`${who} handed you back to the assistant. I'm here to help.`);
        if (escalation.status === "resolved") this.addNote(`${who} marked this conversation resolved. Thank you!`);
      }
      this.showHandover(null);
    }

    addStaffMessage(turn) {
      const who = turn.staff || "The team";
      const node = h("div", { class: "msg staff" }, [
        h("span", { class: "who", "aria-hidden": "true", text: `${who} (team)` }),
        h("span", { class: "sr-only", text: `${who} from the team said: ` }),
        h("span", { class: "text", text: turn.text }),
      ]);
      this.ui.log.append(node);
      this.scrollLog();
    }

    async refreshHandover() {
      try {
        const profile = await this.api.json("GET", "/v1/shoppers/me/profile");
        const open = (profile.escalations || []).filter((e) => isOpen(e.status));
        this.showHandover(open.length ? open[open.length - 1] : null);
      } catch (_) {
        // The banner stays as it was; the next reply checks again.
      }
    }

    async callOff() {
      if (!this.handover) return;
      const id = encodeURIComponent(this.handover.escalation_id);
      try {
        await this.api.json("POST", `/v1/shoppers/me/escalations/${id}/call-off`);
      } catch (error) {
        this.fail(error);
        return;
      }
      this.showHandover(null);
      this.addNote("OK: you no longer need a person. I'm here to help.");
      this.ui.person.focus();
    }
  }

  /** A thumb icon (down: turned over), hidden from screen readers: the button is named. */
  function thumb(down) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (down) svg.setAttribute("transform", "rotate(180)");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", THUMB_UP);
    path.setAttribute("fill", "currentColor");
    svg.append(path);
    return svg;
  }

  function isOpen(status) {
    return status === "waiting" || status === "with_staff";
  }

  /** "3 conversations, 12 purchase…": the numbers of an erasure report, events by kind. */
  function describeCounts(report) {
    const parts = [];
    for (const [kind, n] of Object.entries(report || {})) {
      if (n && typeof n === "object") parts.push(describeCounts(n));
      else if (typeof n === "number" && n > 0) parts.push(`${n} ${kind.replace(/_/g, " ")}`);
    }
    return parts.filter((p) => p && p !== "nothing").join(", ") || "nothing";
  }

  if (!customElements.get(TAG)) customElements.define(TAG, TactfulChat);
})();
