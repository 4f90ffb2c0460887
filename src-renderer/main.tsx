import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { resolveApi } from './api/api';
import { App } from './app';
import { useEngineStore } from './store/engine-store';
import './styles.css';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
  void useEngineStore.getState().connect(resolveApi());
}
