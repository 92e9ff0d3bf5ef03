// Renderer entry: picks the ChatClient for this host (Electron or browser),
// wires it to state, and mounts the app.
import { mount } from 'svelte';
import App from './App.svelte';
import { startDesktop } from './lib/actions/desktop.svelte';
import { start } from './lib/actions/session';
import { pickClient } from './lib/client';
import './styles.css';

const client = pickClient();
const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks #app');
// start() registers the client synchronously, before any component reads it.
void start(client);
void startDesktop();
mount(App, { target });
