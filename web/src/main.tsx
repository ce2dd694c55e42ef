import { render } from 'preact';
import { App } from './app';
import { currentLang } from './i18n';
import './styles.css';

document.documentElement.lang = currentLang();
render(<App />, document.getElementById('app')!);
