/* feeds: inside an embed page (an <iframe> on another site). Tells the parent page our height
 * whenever it changes, as {type: "feeds:height", height} (embed.js on the host sizes the frame)
 * and, when WordPress framed us with #?secret=..., as {message: "height", value, secret}; shows
 * dates in the reader's own time zone. Sends nothing else. */
(() => {
  "use strict";
  const found = /[#&?]secret=([A-Za-z0-9]+)/.exec(location.hash);
  const secret = found ? found[1] : null;
  for (const time of document.querySelectorAll("time[datetime]")) {
    const when = new Date(time.getAttribute("datetime"));
    if (!isNaN(when)) time.textContent = when.toLocaleDateString(undefined, { dateStyle: "medium" });
  }
  if (window.parent === window) return;
  let last = 0;
  const tell = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "feeds:height", height }, "*");
    if (secret) window.parent.postMessage({ message: "height", value: height, secret }, "*");
  };
  new ResizeObserver(tell).observe(document.documentElement);
  tell();
})();
