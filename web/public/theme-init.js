// Applies the stored or system theme before the first paint so dark mode never flashes white.
// A file of its own, not an inline script: the dashboard's Content-Security-Policy allows scripts
// from the server only.
(function () {
  try {
    var stored = localStorage.getItem("gururmm.theme");
    var dark = stored === "dark" || ((!stored || stored === "system") && window.matchMedia("(prefers-color-scheme: dark)").matches);
    if (dark) document.documentElement.classList.add("dark");
  } catch (e) {}
})();
