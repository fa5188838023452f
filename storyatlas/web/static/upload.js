// Sends each chosen file as its own request, showing upload progress, then follows
// the processing of each story until it is done. Without JavaScript the form posts as is.
(() => {
  const form = document.getElementById("upload-form");
  const list = document.getElementById("upload-progress");
  const template = document.getElementById("upload-item");
  const words = document.getElementById("i18n").dataset;
  const input = document.getElementById("f-files");
  const drop = document.getElementById("drop");
  if (!form || !window.FormData) return;

  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    input.files = e.dataTransfer.files;
  });

  function send(file, shared, item) {
    return new Promise((resolve) => {
      const data = new FormData();
      for (const [k, v] of shared) data.append(k, v);
      data.append("files", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/stories");
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) item.bar.value = Math.round((100 * e.loaded) / e.total);
      };
      xhr.onload = () => {
        let body = {};
        try { body = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => resolve({ status: 0, body: { error: words.network } });
      xhr.send(data);
    });
  }

  // the storyteller's private link comes only in this answer: show it to keep
  function showLink(li, path) {
    const p = document.createElement("p");
    const a = document.createElement("a");
    a.className = "teller-link";
    a.href = path;
    a.textContent = new URL(path, location.href).href;
    p.append(words.link + ": ", a);
    li.append(p);
  }

  async function follow(story, item) {
    for (;;) {
      const r = await fetch(`/api/stories/${story.story_id}/progress?receipt=${story.receipt}`);
      const { job } = await r.json();
      if (!job) return;
      item.state.textContent = words[job.stage] || words[job.state] || job.state;
      item.bar.value = Math.round(job.progress * 100);
      if (job.state === "done" || job.state === "failed") {
        item.li.dataset.state = job.state;
        if (job.state === "failed" && job.message) item.state.textContent += ": " + job.message;
        return;
      }
      await new Promise((ok) => setTimeout(ok, 1500));
    }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const shared = Array.from(new FormData(form).entries()).filter(([k]) => k !== "files");
    const files = Array.from(input.files);
    if (!files.length) return;
    list.textContent = "";
    const items = files.map((file) => {
      const li = template.content.firstElementChild.cloneNode(true);
      li.querySelector(".name").textContent = file.name;
      li.querySelector(".state").textContent = words.uploading;
      list.append(li);
      return { li, bar: li.querySelector("progress"), state: li.querySelector(".state"), open: li.querySelector(".open") };
    });
    await Promise.all(files.map(async (file, i) => {
      const item = items[i];
      const { body } = await send(file, shared, item);
      const story = (body.stories || [])[0];
      if (!story || story.error || !story.story_id) {
        item.li.dataset.state = "refused";
        item.state.textContent = `${words.refused}: ${(story && story.error) || body.error || ""}`;
        item.state.classList.add("error");
        return;
      }
      if (story.duplicate) {  // the same recording is a story the sender may see already
        item.li.dataset.state = "duplicate";
        item.state.textContent = words.duplicate;
        item.bar.value = 100;
        item.open.href = `/stories/${story.story_id}`;
        item.open.hidden = false;
        return;
      }
      item.bar.value = 0;
      if (story.notice) {
        const p = document.createElement("p");
        p.className = "note";
        p.textContent = story.notice[0].toUpperCase() + story.notice.slice(1);  // it stands alone
        item.li.append(p);
      }
      if (story.link) showLink(item.li, story.link);
      if (!story.awaiting_review) {
        item.open.href = `/stories/${story.story_id}`;
        item.open.hidden = false;
      }
      await follow(story, item);
      if (story.awaiting_review) {  // a moderator publishes it; until then it is private
        item.li.dataset.review = "waiting";
        item.state.textContent += ". " + words.review;
      }
    }));
  });
})();
