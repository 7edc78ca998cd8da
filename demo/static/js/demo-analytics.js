/* The demo's stand-in for an analytics tag: sets a first-party analytics cookie and marks
   the page, so tests and people can see when (and only when) it runs. */
document.cookie = "_pk_id.demo=" + Math.random().toString(36).slice(2) + "; path=/; max-age=34128000; SameSite=Lax";
document.documentElement.setAttribute("data-demo-analytics", "on");
