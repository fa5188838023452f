// Records from the microphone with a level meter, elapsed time and pause/resume; lets the
// storyteller listen back; then sends the recording in pieces that are retried after a
// dropped connection, so a flaky mobile network does not lose it.
(() => {
  const $ = (id) => document.getElementById(id);
  const words = $("i18n").dataset;
  const CHUNK = 256 * 1024;
  let recorder = null, chunks = [], blob = null, stream = null, audioCtx = null;
  let elapsed = 0, lastTick = 0, timer = null;

  $("nojs").hidden = true;
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    showError(words.unsupported);
    return;
  }
  $("recorder").hidden = false;

  function showError(text) { const el = $("rec-error"); el.textContent = text; el.hidden = false; }
  function clock(s) { s = Math.floor(s); return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0"); }
  function tick() {
    const now = performance.now();
    if (recorder && recorder.state === "recording") elapsed += (now - lastTick) / 1000;
    lastTick = now;
    $("rec-time").textContent = clock(elapsed);
  }

  function meter(source) {
    const analyser = audioCtx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    const data = new Float32Array(analyser.fftSize);
    const draw = () => {
      if (!recorder || recorder.state === "inactive") { $("rec-level").value = 0; return; }
      analyser.getFloatTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v));
      $("rec-level").value = Math.min(1, peak * 1.5);
      requestAnimationFrame(draw);
    };
    draw();
  }

  $("rec-start").addEventListener("click", async () => {
    $("rec-error").hidden = true;
    try {
      // archival recording: keep the voice as it is, without call-style processing
      stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    } catch (err) {
      showError(words.denied.replace("{reason}", err.message || err.name));
      return;
    }
    const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"].find((t) => MediaRecorder.isTypeSupported(t)) || "";
    recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
    chunks = []; elapsed = 0; lastTick = performance.now();
    recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
    recorder.onstop = () => {
      blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
      $("rec-playback").src = URL.createObjectURL(blob);
      $("rec-review").hidden = false;
      $("record-form").hidden = false;
      $("rec-send").disabled = false;
      stream.getTracks().forEach((t) => t.stop());
      clearInterval(timer);
    };
    recorder.start(1000);  // before the meter, whose loop ends once the recorder is inactive
    audioCtx = new (window.AudioContext || window.webkitAudioContext)();
    meter(audioCtx.createMediaStreamSource(stream));
    timer = setInterval(tick, 250);
    $("rec-start").disabled = true;
    $("rec-pause").disabled = false;
    $("rec-stop").disabled = false;
    $("rec-pause").textContent = words.pause;
  });

  $("rec-pause").addEventListener("click", () => {
    tick();
    if (recorder.state === "recording") { recorder.pause(); $("rec-pause").textContent = words.resume; }
    else if (recorder.state === "paused") { recorder.resume(); lastTick = performance.now(); $("rec-pause").textContent = words.pause; }
  });

  $("rec-stop").addEventListener("click", () => {
    tick();
    recorder.stop();
    $("rec-pause").disabled = true;
    $("rec-stop").disabled = true;
    $("rec-start").disabled = false;
  });

  async function withRetry(make) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await make();
        if (r.status < 500) return r;
      } catch (err) { /* network down: wait and try again */ }
      $("rec-status").textContent = words.retrying;
      await new Promise((ok) => setTimeout(ok, Math.min(30000, 1000 * 2 ** attempt)));
    }
  }

  async function upload(data, fields) {
    const created = await (await withRetry(() => fetch("/api/uploads", { method: "POST" }))).json();
    let offset = 0;
    while (offset < data.size) {
      const piece = data.slice(offset, offset + CHUNK);
      const r = await withRetry(() => fetch(`/api/uploads/${created.id}`, {
        method: "PUT", headers: { "Upload-Offset": String(offset) }, body: piece,
      }));
      const answer = await r.json();
      if (r.status === 409 || r.ok) offset = r.ok ? answer.offset : (await (await fetch(`/api/uploads/${created.id}`)).json()).offset;
      else throw new Error(answer.error);
      $("rec-status").textContent = words.sending.replace("{percent}", Math.round((100 * offset) / data.size) + " %");
    }
    fields.append("filename", "recording." + (data.type.includes("ogg") ? "ogg" : data.type.includes("mp4") ? "m4a" : "webm"));
    for (;;) {
      const done = await withRetry(() => fetch(`/api/uploads/${created.id}/finish`, { method: "POST", body: fields }));
      // sent again (its answer lost) while the first still takes the recording in: that
      // answer, with the private link, is kept for this upload and comes once it is done
      const wait = done.status === 409 && Number(done.headers.get("Retry-After"));
      if (!wait) return done.json();
      await new Promise((ok) => setTimeout(ok, wait * 1000));
    }
  }

  async function follow(story) {
    const status = $("rec-status");
    if (story.link) {  // the storyteller's private link comes only in this answer: show it to keep
      const p = document.createElement("p");
      const a = document.createElement("a");
      a.id = "rec-link";
      a.href = story.link;
      a.textContent = new URL(story.link, location.href).href;
      p.append(words.link + ": ", a);
      status.after(p);
    }
    for (;;) {
      const { job } = await (await fetch(`/api/stories/${story.story_id}/progress?receipt=${story.receipt}`)).json();
      status.textContent = (words[job.stage] || words[job.state] || job.state) + " " + Math.round(job.progress * 100) + " %";
      if (job.state === "done" || job.state === "failed") break;
      await new Promise((ok) => setTimeout(ok, 1500));
    }
    if (story.awaiting_review) {  // a moderator publishes it; until then it is private
      const note = document.createElement("span");
      note.id = "rec-waiting";
      note.dataset.story = story.story_id;
      note.textContent = words.review;
      status.append(" ", note);
      return;
    }
    const link = document.createElement("a");
    link.href = `/stories/${story.story_id}`;
    link.textContent = words.open;
    link.id = "rec-open";
    status.append(" ", link);
  }

  $("record-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!blob) return;
    $("rec-send").disabled = true;
    try {
      const story = await upload(blob, new FormData($("record-form")));
      if (story.error) { showError(story.error); $("rec-send").disabled = false; return; }
      await follow(story);
    } catch (err) {
      showError(err.message);
      $("rec-send").disabled = false;
    }
  });
})();
