// Marks the page once this file, served by the /assets static_dir handler, has run.
const status = document.getElementById('status');
status.textContent = `The script ran at ${new Date().toLocaleTimeString()}.`;
status.classList.add('ran');
