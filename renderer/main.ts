// Renderer entry: loads the settings, picks the ChatClient for this host
// (Electron or browser), wires it to state, and mounts the app.
import { mount } from 'svelte';
import App from './App.svelte';
import { startDesktop } from './lib/actions/desktop.svelte';
import { start } from './lib/actions/session';
import { pickClient } from './lib/client';
import { localSettingsStore } from './lib/settings/local-store';
import { settings } from './lib/state/settings.svelte';
import './styles.css';

// Settings live in this page's localStorage for now, in Electron too; the
// desktop app can hand in a SettingsStore backed by main instead.
settings.use(localSettingsStore());

const client = pickClient();
const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks #app');
// start() registers the client synchronously, before any component reads it.
void start(client);
void startDesktop();
mount(App, { target });
