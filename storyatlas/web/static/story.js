// Keeps the transcript in step with the player: highlights the line being spoken,
// scrolls it into view, and lets a click on a line jump there.
(() => {
  const article = document.querySelector("article.story");
  const player = document.getElementById("player");
  const list = document.getElementById("transcript");
  if (!article || !player || !list) return;
  const lines = Array.from(list.querySelectorAll(".line"));
  const starts = lines.map((li) => parseFloat(li.dataset.start));
  let current = null;

  function lineAt(t) {
    let lo = 0, hi = starts.length - 1, found = -1;
    while (lo <= hi) {  // the last line starting at or before t
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= t + 0.05) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found >= 0 ? lines[found] : null;
  }

  function highlight() {
    const li = lineAt(player.currentTime);
    if (li === current) return;
    if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
    current = li;
    if (li) {
      li.classList.add("current");
      li.setAttribute("aria-current", "true");
      const box = list.getBoundingClientRect(), r = li.getBoundingClientRect();
      if (r.top < box.top || r.bottom > box.bottom) li.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }

  function seek(t, play) {
    player.currentTime = t;
    highlight();
    if (play) player.play().catch(() => {});
  }

  player.addEventListener("timeupdate", highlight);
  player.addEventListener("seeked", highlight);
  list.addEventListener("click", (e) => {
    const li = e.target.closest(".line");
    if (!li) return;
    e.preventDefault();
    seek(parseFloat(li.dataset.start), true);
    history.replaceState(null, "", "?t=" + Math.floor(parseFloat(li.dataset.start)));
  });

  // switching original / English / both without reloading
  document.querySelectorAll("[data-view]").forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    list.className = "transcript view-" + a.dataset.view;
    document.querySelectorAll("[data-view]").forEach((b) => b.toggleAttribute("aria-current", b === a));
  }));

  const start = parseFloat(article.dataset.start || "0");
  if (start > 0) {
    const go = () => seek(start, true);
    if (player.readyState >= 1) go(); else player.addEventListener("loadedmetadata", go, { once: true });
  }

  // while the story is being processed, follow its progress and reload when done
  const status = document.getElementById("job-status");
  if (status && status.dataset.state !== "failed") {
    const poll = async () => {
      try {
        const r = await fetch("/api/stories/" + article.dataset.story + "/progress");
        const data = await r.json();
        if (data.job && (data.job.state === "done" || data.job.state === "failed")) { location.reload(); return; }
        if (data.job) status.textContent = status.textContent.replace(/\d+\s?%/, Math.round(data.job.progress * 100) + " %");
      } catch (err) { /* try again later */ }
      setTimeout(poll, 2000);
    };
    setTimeout(poll, 2000);
  }
})();
