// Served by the static_dir handler. Marks the page as scripted and says when the page was loaded.
document.documentElement.classList.add('js');
document.getElementById('count').dataset.loaded = new Date().toISOString();
