// The language menu applies as soon as it changes (its OK button remains for keyboards without JS).
document.querySelectorAll("form.lang select").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
