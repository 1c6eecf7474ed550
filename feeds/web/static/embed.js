/* feeds: <feeds-headlines src="…/feeds/<slug>.json" count="5" thumbnails theme="auto|light|dark">
 * fallback link</feeds-headlines> shows a JSON Feed's newest headlines in an open shadow root.
 * Text is set with textContent, never parsed as HTML; it fetches only from the origin this script
 * came from (images come from the articles' own URLs); styles are a constructed stylesheet, so
 * a host whose CSP forbids inline styles still gets a styled widget. Until the feed is shown,
 * and if it cannot be fetched, the host's fallback content stays. It also sizes our <iframe>
 * embeds on the host page to the height they report ({type: "feeds:height", height}).
 * The element fires "feeds:load" (detail: {count}) each time it has shown the headlines. */
(() => {
  "use strict";
  const script = document.currentScript;
  const ORIGIN = new URL(script && script.src ? script.src : location.href).origin;
  const CSS = `
:host{display:block;--feeds-bg:#fff;--feeds-fg:#1a1a1a;--feeds-muted:#595959;--feeds-link:#0b57d0;
--feeds-border:#d9d9d9;--feeds-font:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;--feeds-radius:8px}
:host([hidden]){display:none}
:host([theme=dark]){--feeds-bg:#16181d;--feeds-fg:#ececec;--feeds-muted:#b0b0b0;--feeds-link:#8ab4f8;--feeds-border:#3a3d44}
@media (prefers-color-scheme:dark){:host(:not([theme=light])){--feeds-bg:#16181d;--feeds-fg:#ececec;
--feeds-muted:#b0b0b0;--feeds-link:#8ab4f8;--feeds-border:#3a3d44}}
.box{all:initial;display:block;box-sizing:border-box;background:var(--feeds-bg);color:var(--feeds-fg);
font:15px/1.4 var(--feeds-font);border:1px solid var(--feeds-border);border-radius:var(--feeds-radius);padding:12px 14px}
.title{display:block;font-weight:600;font-size:16px;margin:0 0 8px}
ol{list-style:none;margin:0;padding:0;display:block}
li{display:flex;gap:10px;align-items:flex-start;padding:8px 0;border-top:1px solid var(--feeds-border)}
li:first-child{border-top:0}
a{color:var(--feeds-link);text-decoration:none;display:inline}
a:hover,a:focus-visible{text-decoration:underline}
a:focus-visible{outline:2px solid var(--feeds-link);outline-offset:2px}
img{flex:none;display:block;width:80px;height:60px;object-fit:cover;border-radius:4px;background:var(--feeds-border)}
.text{display:block;min-width:0}
.meta{display:block;color:var(--feeds-muted);font-size:13px;margin-top:2px}`;
  let sheet = null;
  const styles = () => {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
    }
    return [sheet];
  };
  const web = (value, base) => {
    try {
      const url = new URL(value, base);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (_) {
      return null;
    }
  };
  const el = (tag, part, text) => {
    const node = document.createElement(tag);
    if (part) node.setAttribute("part", part);
    if (text) node.textContent = text;
    return node;
  };
  const link = (href, part, text) => {
    const a = el("a", part, text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  };

  class FeedsHeadlines extends HTMLElement {
    static get observedAttributes() {
      return ["src", "count", "thumbnails"];
    }

    connectedCallback() {
      this.schedule();
    }

    attributeChangedCallback(name, before, after) {
      if (before !== after) this.schedule();
    }

    // One load for everything that changed in this task: an upgraded element reports each of
    // its attributes, then its connection, and each would be a fetch of its own.
    schedule() {
      if (this._scheduled) return;
      this._scheduled = true;
      queueMicrotask(() => {
        this._scheduled = false;
        if (this.isConnected) this.load();
      });
    }

    async load() {
      const src = web(this.getAttribute("src") || "", document.baseURI);
      if (!src || new URL(src).origin !== ORIGIN) {
        console.warn("feeds-headlines: src must be a JSON feed on " + ORIGIN);
        return;
      }
      const count = Math.min(20, Math.max(1, parseInt(this.getAttribute("count"), 10) || 5));
      const ticket = (this._ticket = (this._ticket || 0) + 1);
      let feed;
      try {
        const response = await fetch(src, { mode: "cors", credentials: "omit" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        feed = await response.json();
        if (!feed || !Array.isArray(feed.items)) throw new Error("not a JSON feed");
      } catch (error) {
        console.warn("feeds-headlines: cannot show " + src + " (" + error.message + ")");
        return; // the fallback stays (or what was shown before)
      }
      if (ticket === this._ticket) this.show(feed, src, count);
    }

    show(feed, src, count) {
      const thumbnails = this.hasAttribute("thumbnails") && this.getAttribute("thumbnails") !== "false";
      const box = el("div", "container");
      box.className = "box";
      const home = web(feed.home_page_url, src);
      const title = home ? link(home, "title", feed.title || "") : el("span", "title", feed.title || "");
      title.classList.add("title");
      box.append(title);
      const list = el("ol", "list");
      for (const item of feed.items.slice(0, count)) {
        const li = el("li", "item");
        const image = thumbnails && web(item.image, src);
        if (image) {
          const img = el("img", "thumbnail");
          img.src = image;
          img.alt = "";
          img.width = 80;
          img.height = 60;
          img.loading = "lazy";
          img.decoding = "async";
          li.append(img);
        }
        const text = el("span");
        text.className = "text";
        const url = web(item.url, src);
        text.append(url ? link(url, "link", item.title || url) : el("span", "link", item.title || ""));
        const meta = el("span", "meta");
        meta.className = "meta";
        const author = item.authors && item.authors[0] && item.authors[0].name;
        if (author) meta.append(el("span", "provider", String(author)));
        const when = new Date(item.date_published);
        if (!isNaN(when)) {
          if (author) meta.append(" · ");
          const time = el("time", "date", when.toLocaleDateString(undefined, { dateStyle: "medium" }));
          time.dateTime = when.toISOString();
          meta.append(time);
        }
        text.append(meta);
        li.append(text);
        list.append(li);
      }
      box.append(list);
      const root = this.shadowRoot || this.attachShadow({ mode: "open" });
      root.adoptedStyleSheets = styles();
      root.replaceChildren(box);
      this.dispatchEvent(new CustomEvent("feeds:load", { detail: { count: list.childElementCount } }));
    }
  }

  if (!customElements.get("feeds-headlines")) customElements.define("feeds-headlines", FeedsHeadlines);

  if (!window.__feedsFrames) {
    window.__feedsFrames = true;
    window.addEventListener("message", (event) => {
      const data = event.data;
      if (event.origin !== ORIGIN || !data || data.type !== "feeds:height") return;
      const height = Math.ceil(Number(data.height));
      if (!(height > 0 && height < 10000)) return;
      for (const frame of document.querySelectorAll("iframe")) {
        if (frame.contentWindow === event.source) frame.height = String(height);
      }
    });
  }
})();
