/* The demo's stand-in for a marketing pixel. */
document.cookie = "_gcl_au=demo." + Date.now() + "; path=/; max-age=7776000; SameSite=Lax";
document.documentElement.setAttribute("data-demo-marketing", "on");
