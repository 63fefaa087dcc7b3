/*!
 * Exchange Assistant — embeddable chat widget.
 * Plain ES2020, no dependencies, no build step. Everything renders inside an open Shadow DOM.
 *
 * Embed:
 *   <script src="https://ASSISTANT_HOST/widget.js" data-partner="PARTNER_KEY" defer></script>
 *
 * See assistant/web/README.md for all data attributes, CSS custom properties, events and the
 * HTTP contract with the backend.
 */
(() => {
  'use strict';

  const TAG = 'exchange-assistant-widget';
  const VERSION = '0.1.0';
  const MAX_CHARS = 2000; // mirrors the server's max_question_chars
  const COUNTER_FROM = 1800; // show the character counter from here on
  const HISTORY_TURNS = 10; // messages sent back as context
  const IDLE_TIMEOUT_MS = 180000; // abort when the server sends nothing for this long
  const STORAGE_PREFIX = 'exchange-assistant:v1:';
  const DEFAULT_PRIMARY = '#0b5cad';

  if (typeof window === 'undefined' || !window.customElements || typeof fetch !== 'function') return;

  // Must be read synchronously, while this script is executing.
  const currentScript =
    document.currentScript ||
    document.querySelector('script[data-partner][src*="widget"]');

  /* ------------------------------------------------------------------------------------ */
  /* Interface strings                                                                    */
  /* ------------------------------------------------------------------------------------ */

  const STRINGS = {
    en: {
      defaultTitle: 'Exchange programs assistant',
      defaultGreeting:
        'Hello! Ask me about cultural, sister-city and student exchange programs. I answer from our documents and cite my sources.',
      launcher: 'Chat: {title}',
      close: 'Close the assistant',
      newConversation: 'New conversation',
      inputLabel: 'Your question',
      placeholder: 'Ask about an exchange program…',
      send: 'Send',
      counter: '{n} / {max} characters',
      you: 'You:',
      assistant: 'Assistant:',
      thinking: 'The assistant is writing an answer…',
      sources: 'Sources',
      sourceLabel: 'Source {n}: {title}',
      sourceHeading: 'Source {n}',
      quote: 'Quoted passage',
      date: 'Date: {date}',
      language: 'Language: {lang}',
      openSource: 'Open the source',
      newTab: '(opens in a new tab)',
      documentId: 'Document:',
      quotedIn: 'Quoted in {lang}',
      passageN: 'Passage {i} of {total}',
      unavailable: 'Not available on this site',
      closeSource: 'Close the source',
      untitled: 'Untitled document',
      helpful: 'Helpful answer',
      notHelpful: 'Unhelpful answer',
      feedbackThanks: 'Thanks for your feedback',
      feedbackFailed: 'Your feedback could not be sent.',
      disclaimer: 'Answers come from the documents of this service. Please check the cited sources.',
      retry: 'Try again',
      details: 'Details: {detail}',
      'error.rateLimited.one': 'Too many questions, please wait {n} second.',
      'error.rateLimited.other': 'Too many questions, please wait {n} seconds.',
      'error.rateLimitedNoDelay': 'Too many questions, please wait a moment before asking again.',
      'error.forbidden':
        'This site is not allowed to use the assistant, or its access key has been revoked. Please contact the site owner.',
      'error.tooLong': 'Your question is too long. Please shorten it to {max} characters or fewer.',
      'error.invalid': 'Your question could not be processed. Please rephrase it.',
      'error.notReady': 'The assistant is not ready yet. Please try again in a few minutes.',
      'error.network': 'The assistant could not be reached. Check your connection and try again.',
      'error.server': 'The assistant ran into a problem. Please try again later.',
      'error.interrupted': 'The answer was interrupted. Please try again.',
      'error.timeout': 'The assistant took too long to answer. Please try again.',
      'error.generic': 'Something went wrong. Please try again.',
    },
    fr: {
      defaultTitle: 'Assistant des échanges internationaux',
      defaultGreeting:
        'Bonjour ! Posez-moi vos questions sur les échanges culturels, les jumelages et les échanges d’étudiants. Je réponds à partir de nos documents et je cite mes sources.',
      launcher: 'Discussion : {title}',
      close: 'Fermer l’assistant',
      newConversation: 'Nouvelle conversation',
      inputLabel: 'Votre question',
      placeholder: 'Posez votre question sur un échange…',
      send: 'Envoyer',
      counter: '{n} / {max} caractères',
      you: 'Vous :',
      assistant: 'Assistant :',
      thinking: 'L’assistant rédige une réponse…',
      sources: 'Sources',
      sourceLabel: 'Source {n} : {title}',
      sourceHeading: 'Source {n}',
      quote: 'Extrait cité',
      date: 'Date : {date}',
      language: 'Langue : {lang}',
      openSource: 'Ouvrir la source',
      newTab: '(s’ouvre dans un nouvel onglet)',
      documentId: 'Document :',
      quotedIn: 'Extrait en {lang}',
      passageN: 'Extrait {i} sur {total}',
      unavailable: 'Indisponible sur ce site',
      closeSource: 'Fermer la source',
      untitled: 'Document sans titre',
      helpful: 'Réponse utile',
      notHelpful: 'Réponse pas utile',
      feedbackThanks: 'Merci pour votre avis',
      feedbackFailed: 'Votre avis n’a pas pu être envoyé.',
      disclaimer: 'Les réponses proviennent des documents de ce service. Vérifiez les sources citées.',
      retry: 'Réessayer',
      details: 'Détails : {detail}',
      'error.rateLimited.one': 'Trop de questions, veuillez patienter {n} seconde.',
      'error.rateLimited.other': 'Trop de questions, veuillez patienter {n} secondes.',
      'error.rateLimitedNoDelay': 'Trop de questions, veuillez patienter un instant avant de recommencer.',
      'error.forbidden':
        'Ce site n’est pas autorisé à utiliser l’assistant, ou sa clé d’accès a été révoquée. Veuillez contacter le responsable du site.',
      'error.tooLong': 'Votre question est trop longue. Veuillez la limiter à {max} caractères.',
      'error.invalid': 'Votre question n’a pas pu être traitée. Veuillez la reformuler.',
      'error.notReady': 'L’assistant n’est pas encore prêt. Veuillez réessayer dans quelques minutes.',
      'error.network': 'Impossible de joindre l’assistant. Vérifiez votre connexion et réessayez.',
      'error.server': 'L’assistant a rencontré un problème. Veuillez réessayer plus tard.',
      'error.interrupted': 'La réponse a été interrompue. Veuillez réessayer.',
      'error.timeout': 'L’assistant a mis trop de temps à répondre. Veuillez réessayer.',
      'error.generic': 'Une erreur s’est produite. Veuillez réessayer.',
    },
  };

  // Errors after which retrying the same question makes sense.
  const RETRYABLE = new Set([
    'rateLimited',
    'rateLimitedNoDelay',
    'notReady',
    'network',
    'server',
    'interrupted',
    'timeout',
    'generic',
  ]);

  /* ------------------------------------------------------------------------------------ */
  /* Styles (scoped to the shadow root)                                                   */
  /* ------------------------------------------------------------------------------------ */

  const STYLES = `
:host {
  all: initial !important;
  display: block !important;
  position: static !important;
  width: 0 !important;
  height: 0 !important;
  margin: 0 !important;
  padding: 0 !important;
  border: 0 !important;
  contain: none !important;
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }

.root {
  --_primary: var(--ea-primary, var(--_primary-default, ${DEFAULT_PRIMARY}));
  --_on-primary: var(--ea-on-primary, #ffffff);
  --_text: var(--ea-text, #1f2933);
  --_bg: var(--ea-bg, #ffffff);
  --_radius: var(--ea-radius, 16px);
  --_font: var(--ea-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif);
  --_muted: #5b6573;
  --_border: #dde1e7;
  --_surface: #f2f4f7;
  --_tint: #e7eef8;
  --_tint: color-mix(in srgb, var(--_primary) 10%, var(--_bg));
  --_tint-strong: color-mix(in srgb, var(--_primary) 18%, var(--_bg));
  --_focus: var(--_primary);
  font-family: var(--_font);
  font-size: 15px;
  line-height: 1.45;
  font-weight: 400;
  font-style: normal;
  letter-spacing: normal;
  text-align: left;
  text-transform: none;
  color: var(--_text);
  -webkit-font-smoothing: antialiased;
}
.root[dir="rtl"] { text-align: right; }
button, textarea, input, a { font: inherit; color: inherit; letter-spacing: inherit; }
button { cursor: pointer; text-transform: none; }
button:disabled { cursor: not-allowed; }
:focus { outline: none; }
:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }

.sr-only {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0;
}

/* Launcher ---------------------------------------------------------------------------- */
.launcher {
  position: fixed; z-index: 2147483000; bottom: 20px; right: 20px;
  width: 58px; height: 58px; padding: 0; border: 0; border-radius: 50%;
  background: var(--_primary); color: var(--_on-primary);
  display: inline-flex; align-items: center; justify-content: center;
  box-shadow: 0 6px 20px rgba(15, 23, 42, .22), 0 2px 6px rgba(15, 23, 42, .16);
  transition: transform .15s ease, box-shadow .15s ease;
}
.launcher:hover { transform: translateY(-1px); box-shadow: 0 10px 26px rgba(15, 23, 42, .26), 0 2px 6px rgba(15, 23, 42, .18); }
.launcher:focus-visible { outline: 3px solid var(--_primary); outline-offset: 3px; box-shadow: 0 0 0 3px #fff; }
.launcher svg { width: 26px; height: 26px; display: block; }
.launcher .icon-close { display: none; }
.launcher[aria-expanded="true"] .icon-chat { display: none; }
.launcher[aria-expanded="true"] .icon-close { display: block; }
.root[data-position="left"] .launcher { right: auto; left: 20px; }

/* Panel ------------------------------------------------------------------------------- */
.panel {
  position: fixed; z-index: 2147483001; bottom: 92px; right: 20px;
  width: 408px; height: 620px; max-height: calc(100vh - 116px); max-height: calc(100dvh - 116px);
  display: flex; flex-direction: column; overflow: hidden;
  background: var(--_bg); color: var(--_text);
  border: 1px solid rgba(15, 23, 42, .08);
  border-radius: var(--_radius);
  box-shadow: 0 18px 48px rgba(15, 23, 42, .22), 0 4px 12px rgba(15, 23, 42, .10);
  animation: ea-in .18s ease-out;
}
.root[data-position="left"] .panel { right: auto; left: 20px; }
@keyframes ea-in { from { opacity: 0; transform: translateY(10px) scale(.98); } to { opacity: 1; transform: none; } }

.header {
  display: flex; align-items: center; gap: 8px;
  padding: 12px 10px 12px 16px;
  background: var(--_primary); color: var(--_on-primary);
  flex: none;
}
.header .avatar {
  flex: none; width: 32px; height: 32px; border-radius: 50%;
  background: rgba(255, 255, 255, .18); display: inline-flex; align-items: center; justify-content: center;
}
.header .avatar svg { width: 18px; height: 18px; }
.title {
  flex: 1; min-width: 0; margin: 0; font-size: 15.5px; font-weight: 600; line-height: 1.25;
  white-space: normal; overflow-wrap: anywhere; color: inherit;
}
.hbtn {
  flex: none; display: inline-flex; align-items: center; gap: 6px;
  height: 34px; min-width: 34px; padding: 0 10px; border-radius: 8px;
  border: 1px solid rgba(255, 255, 255, .35); background: transparent; color: inherit;
  font-size: 13px; font-weight: 500; white-space: nowrap;
}
.hbtn:hover { background: rgba(255, 255, 255, .14); }
.hbtn:focus-visible { outline: 2px solid var(--_on-primary); outline-offset: 2px; }
.hbtn svg { width: 16px; height: 16px; flex: none; }
.hbtn.icon-only { padding: 0; width: 36px; height: 36px; justify-content: center; border-color: transparent; }
.hbtn.icon-only svg { width: 20px; height: 20px; }
.hbtn.icon-only svg[data-i="refresh"] { width: 18px; height: 18px; }

/* Messages ---------------------------------------------------------------------------- */
.scroller {
  position: relative; flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain;
  padding: 16px 14px 8px; background: var(--_bg);
}
.log { display: flex; flex-direction: column; gap: 12px; }
.msg { display: flex; flex-direction: column; max-width: 100%; }
.msg.user { align-items: flex-end; }
.msg.assistant, .msg.error, .msg.greeting { align-items: flex-start; }
.bubble {
  max-width: 88%; padding: 10px 13px; border-radius: 14px;
  overflow-wrap: anywhere; word-break: normal;
}
.msg.user .bubble {
  background: var(--_primary); color: var(--_on-primary);
  border-bottom-right-radius: 4px; white-space: pre-wrap;
}
.msg.assistant .bubble, .msg.greeting .bubble {
  background: var(--_surface); color: var(--_text); border-bottom-left-radius: 4px;
}
.msg.assistant[data-refused="true"] .bubble {
  background: var(--_bg); border: 1px dashed var(--_border); color: var(--_muted);
}
.answer p { margin: 0 0 8px; white-space: pre-wrap; }
.answer p:last-child { margin-bottom: 0; }

.badge {
  display: inline-flex; align-items: center; justify-content: center;
  min-width: 20px; height: 20px; padding: 0 5px; margin: 0 1px 0 2px;
  vertical-align: 2px; border-radius: 10px;
  border: 1px solid color-mix(in srgb, var(--_primary) 35%, transparent);
  background: var(--_tint); color: var(--_primary);
  font-size: 11.5px; font-weight: 700; line-height: 1;
  font-variant-numeric: tabular-nums;
}
.badge:hover, .badge[aria-expanded="true"] { background: var(--_primary); color: var(--_on-primary); border-color: var(--_primary); }

.typing { display: inline-flex; gap: 4px; padding: 4px 0; align-items: center; }
.typing span { width: 7px; height: 7px; border-radius: 50%; background: var(--_muted); opacity: .35; animation: ea-blink 1.2s infinite ease-in-out; }
.typing span:nth-child(2) { animation-delay: .15s; }
.typing span:nth-child(3) { animation-delay: .3s; }
@keyframes ea-blink { 0%, 80%, 100% { opacity: .25; transform: translateY(0); } 40% { opacity: .9; transform: translateY(-2px); } }
.cursor::after { content: "▍"; color: var(--_muted); margin-left: 1px; animation: ea-caret 1s steps(1) infinite; }
@keyframes ea-caret { 50% { opacity: 0; } }

.sources {
  margin: 10px 0 0; padding: 8px 0 0; border-top: 1px solid var(--_border);
  font-size: 13px;
}
.sources h3 { margin: 0 0 4px; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--_muted); }
.sources ol { margin: 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 3px; }
.sources li { display: flex; gap: 6px; align-items: baseline; min-width: 0; }
.sources .src-n { flex: none; color: var(--_muted); font-variant-numeric: tabular-nums; font-weight: 600; }
.sources .src-title { min-width: 0; overflow-wrap: anywhere; }
.sources a { color: var(--_primary); text-decoration: underline; text-underline-offset: 2px; }
.sources .src-date { color: var(--_muted); white-space: nowrap; }

.meta-row { display: flex; align-items: center; gap: 6px; margin-top: 6px; min-height: 30px; flex-wrap: wrap; }
.fb {
  display: inline-flex; align-items: center; justify-content: center;
  width: 32px; height: 30px; padding: 0; border-radius: 8px;
  border: 1px solid var(--_border); background: var(--_bg); color: var(--_text);
  font-size: 15px; line-height: 1;
}
.fb svg { width: 16px; height: 16px; }
.fb:hover:not(:disabled) { background: var(--_tint); border-color: color-mix(in srgb, var(--_primary) 40%, var(--_border)); }
.fb:disabled { opacity: .45; }
.fb[aria-pressed="true"] { opacity: 1; background: var(--_tint-strong); border-color: var(--_primary); color: var(--_primary); }
.fb-status { font-size: 12.5px; color: var(--_muted); }
.fb-status.failed { color: #b42318; }

.msg.error .bubble {
  background: #fef3f2; color: #912018; border: 1px solid #fecdca; border-bottom-left-radius: 4px;
  display: flex; gap: 8px; align-items: flex-start;
}
.msg.error .err-icon { flex: none; width: 18px; height: 18px; margin-top: 1px; }
.msg.error .err-text { display: block; }
.msg.error .err-detail { display: block; margin-top: 4px; font-size: 12.5px; opacity: .85; }
.retry {
  display: block; margin-top: 8px; padding: 4px 10px; border-radius: 8px; font-size: 13px; font-weight: 500;
  border: 1px solid #f3a59c; background: #fff; color: #912018;
}
.retry:hover { background: #fee4e2; }
.retry:focus-visible { outline-color: #b42318; }

/* Source popover ---------------------------------------------------------------------- */
.popover {
  position: absolute; z-index: 5; left: 14px; top: 0;
  width: min(340px, calc(100% - 28px));
  background: var(--_bg); color: var(--_text);
  border: 1px solid var(--_border); border-radius: 12px;
  box-shadow: 0 12px 32px rgba(15, 23, 42, .20), 0 2px 6px rgba(15, 23, 42, .08);
  padding: 12px 12px 12px 14px; font-size: 13.5px;
  animation: ea-pop .12s ease-out;
}
@keyframes ea-pop { from { opacity: 0; transform: translateY(-4px); } to { opacity: 1; transform: none; } }
.popover:focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
.pop-head { display: flex; align-items: flex-start; gap: 8px; }
.pop-head .badge { flex: none; margin: 1px 0 0; vertical-align: 0; cursor: default; }
.pop-title { flex: 1; min-width: 0; margin: 0; font-size: 14px; font-weight: 600; line-height: 1.3; overflow-wrap: anywhere; }
.pop-close {
  flex: none; width: 26px; height: 26px; margin: -4px -4px 0 0; padding: 0; border: 0; border-radius: 6px;
  background: transparent; color: var(--_muted); display: inline-flex; align-items: center; justify-content: center;
}
.pop-close:hover { background: var(--_surface); color: var(--_text); }
.pop-close svg { width: 16px; height: 16px; }
.pop-meta { margin: 4px 0 0; color: var(--_muted); font-size: 12.5px; }
.pop-quote {
  margin: 8px 0 0; padding: 6px 0 6px 10px; border-left: 3px solid var(--_primary);
  color: var(--_text); font-style: italic; max-height: 160px; overflow-y: auto; overflow-wrap: anywhere;
  white-space: pre-wrap;
}
.pop-passages { margin: 8px 0 0; padding: 0; list-style: none; display: flex; flex-direction: column; gap: 8px; max-height: 240px; overflow-y: auto; }
.pop-passages .pop-quote { margin: 0; max-height: none; }
.quote-lang { display: inline-block; margin: 8px 0 0; padding: 1px 6px; border-radius: 6px; background: var(--_surface); color: var(--_muted); font-size: 12px; font-weight: 500; }
.notice .bubble { background: #fffaeb; color: #7a2e0e; border: 1px solid #fedf89; display: flex; gap: 8px; align-items: flex-start; }
.notice .err-icon { flex: none; width: 18px; height: 18px; margin-top: 1px; }
.launcher .dot { position: absolute; top: 2px; right: 2px; width: 14px; height: 14px; border-radius: 50%; background: #dc6803; border: 2px solid #fff; }
textarea:disabled { cursor: not-allowed; }
.field[data-disabled="true"] { background: var(--_surface); }
.pop-link { display: inline-flex; align-items: center; gap: 4px; margin-top: 8px; color: var(--_primary); font-weight: 500; text-decoration: underline; text-underline-offset: 2px; }
.pop-link svg { width: 13px; height: 13px; }
.pop-doc { margin: 8px 0 0; color: var(--_muted); font-size: 12.5px; overflow-wrap: anywhere; }
.pop-doc code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; color: var(--_text); background: var(--_surface); padding: 1px 4px; border-radius: 4px; }

/* Composer ---------------------------------------------------------------------------- */
.composer { flex: none; padding: 10px 12px 8px; border-top: 1px solid var(--_border); background: var(--_bg); }
.composer form { display: flex; align-items: flex-end; gap: 8px; margin: 0; }
.field {
  flex: 1; min-width: 0; display: flex; border: 1px solid #c9ced6; border-radius: 12px; background: var(--_bg);
  transition: border-color .12s ease, box-shadow .12s ease;
}
.field:focus-within { border-color: var(--_primary); box-shadow: 0 0 0 3px var(--_tint-strong); }
textarea {
  flex: 1; min-width: 0; display: block; resize: none; border: 0; background: transparent; color: var(--_text);
  padding: 9px 12px; margin: 0; font-size: 15px; line-height: 1.4; max-height: 128px; min-height: 40px; overflow-y: auto;
}
textarea:focus-visible { outline: none; }
textarea::placeholder { color: #7b8494; opacity: 1; }
.send {
  flex: none; width: 42px; height: 42px; padding: 0; border: 0; border-radius: 12px;
  background: var(--_primary); color: var(--_on-primary);
  display: inline-flex; align-items: center; justify-content: center;
}
.send svg { width: 20px; height: 20px; }
.send:disabled { opacity: .4; }
.send:not(:disabled):hover { filter: brightness(1.08); }
.foot { display: flex; justify-content: space-between; gap: 8px; margin-top: 6px; font-size: 11.5px; color: var(--_muted); }
.counter { flex: none; font-variant-numeric: tabular-nums; }
.counter.limit { color: #b42318; font-weight: 600; }

/* Narrow viewports: full screen ------------------------------------------------------- */
@media (max-width: 480px) {
  .panel {
    inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; border: 0;
    bottom: 0; right: 0; left: 0; top: 0;
  }
  .root[data-position="left"] .panel { left: 0; }
  .root[data-open="true"] .launcher { display: none; }
  .bubble { max-width: 92%; }
}

@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
  .typing span { opacity: .6; }
}
@media (forced-colors: active) {
  .launcher, .send, .badge, .fb, .hbtn { border: 1px solid ButtonText; }
  .bubble, .panel, .popover { border: 1px solid CanvasText; }
}
`;

  /* ------------------------------------------------------------------------------------ */
  /* Small helpers                                                                        */
  /* ------------------------------------------------------------------------------------ */

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const ICONS = {
    chat: 'M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6A.5.5 0 0 1 5 19.2V16h0a1 1 0 0 1-1-1z',
    close: 'M6 6l12 12M18 6L6 18',
    send: 'M4 12l16-8-6 16-2.5-6.5z',
    refresh: 'M4 12a8 8 0 0 1 13.7-5.6L20 8.7M20 4v4.7h-4.7M20 12a8 8 0 0 1-13.7 5.6L4 15.3M4 20v-4.7h4.7',
    external: 'M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5',
    alert: 'M12 8v5M12 16.5v.01M10.3 3.9L2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z',
    up: 'M7 10v10H4a1 1 0 0 1-1-1v-8a1 1 0 0 1 1-1zM7 10l4-7a2 2 0 0 1 2.6 2.3L13 9h5.4a2 2 0 0 1 2 2.4l-1.4 7A2 2 0 0 1 17 20H7',
    down: 'M7 14V4H4a1 1 0 0 0-1 1v8a1 1 0 0 0 1 1zM7 14l4 7a2 2 0 0 0 2.6-2.3L13 15h5.4a2 2 0 0 0 2-2.4l-1.4-7A2 2 0 0 0 17 4H7',
    globe: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM3.6 9h16.8M3.6 15h16.8M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18',
  };

  function icon(name, cls, filled) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    if (cls) svg.setAttribute('class', cls);
    svg.setAttribute('data-i', name);
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', ICONS[name]);
    if (filled) {
      path.setAttribute('fill', 'currentColor');
    } else {
      path.setAttribute('fill', 'none');
      path.setAttribute('stroke', 'currentColor');
      path.setAttribute('stroke-width', '2');
      path.setAttribute('stroke-linecap', 'round');
      path.setAttribute('stroke-linejoin', 'round');
    }
    svg.appendChild(path);
    return svg;
  }

  /** Create an element. Text children become text nodes: server text never goes through innerHTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = String(v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function fmt(str, params) {
    return String(str).replace(/\{(\w+)\}/g, (m, k) =>
      params && Object.prototype.hasOwnProperty.call(params, k) ? String(params[k]) : m,
    );
  }

  function uid() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') return window.crypto.randomUUID();
    const b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function safeHttpUrl(u) {
    if (typeof u !== 'string' || !u) return null;
    try {
      const url = new URL(u);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function str(v, fallback = '') {
    return typeof v === 'string' ? v : v === null || v === undefined ? fallback : String(v);
  }

  function sanitizeCitations(list) {
    if (!Array.isArray(list)) return [];
    const out = [];
    for (const c of list) {
      if (!c || typeof c !== 'object') continue;
      const n = Number(c.n);
      if (!Number.isInteger(n) || n < 0) continue;
      out.push({
        n,
        doc_id: str(c.doc_id),
        title: str(c.title),
        source: str(c.source),
        url: typeof c.url === 'string' ? c.url : null,
        date: typeof c.date === 'string' ? c.date : null,
        language: typeof c.language === 'string' ? c.language : null,
        quote: str(c.quote),
        score: typeof c.score === 'number' ? c.score : 0,
        chunk_id: str(c.chunk_id),
        passages: Array.isArray(c.passages)
          ? c.passages
              .filter((p) => p && typeof p === 'object' && typeof p.quote === 'string' && p.quote.trim())
              .map((p) => ({ chunk_id: str(p.chunk_id), quote: p.quote }))
          : [],
      });
    }
    out.sort((a, b) => a.n - b.n);
    return out;
  }

  const MARKER_RE = /\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]/g;

  function citedNumbers(text) {
    const ns = new Set();
    for (const m of String(text).matchAll(MARKER_RE)) {
      for (const part of m[1].split(/[,;]/)) ns.add(parseInt(part.trim(), 10));
    }
    return ns;
  }

  /**
   * Minimal Server-Sent Events parser (https://html.spec.whatwg.org/#parsing-an-event-stream).
   * Feed decoded text with push(); onEvent(name, data) is called for every complete event.
   */
  function createSSEParser(onEvent) {
    let buf = '';
    let name = '';
    let data = [];
    let hasData = false;
    const dispatch = () => {
      if (hasData) onEvent(name || 'message', data.join('\n'));
      name = '';
      data = [];
      hasData = false;
    };
    const line = (l) => {
      if (l === '') return dispatch();
      if (l[0] === ':') return; // comment / keep-alive
      const i = l.indexOf(':');
      const field = i === -1 ? l : l.slice(0, i);
      let value = i === -1 ? '' : l.slice(i + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'event') name = value;
      else if (field === 'data') {
        data.push(value);
        hasData = true;
      }
      // "id" and "retry" are irrelevant for a one-shot POST stream.
    };
    return {
      push(chunk) {
        buf += chunk;
        const re = /\r\n|\r|\n/g;
        let last = 0;
        let m;
        while ((m = re.exec(buf))) {
          // A lone "\r" at the very end may be the first half of "\r\n": wait for more input.
          if (m[0] === '\r' && m.index === buf.length - 1) break;
          line(buf.slice(last, m.index));
          last = re.lastIndex;
        }
        buf = buf.slice(last);
      },
      end() {
        if (buf) line(buf.replace(/\r$/, ''));
        buf = '';
        dispatch();
      },
    };
  }

  function parseRetryAfter(header, body) {
    if (header) {
      const s = header.trim();
      if (/^\d+$/.test(s)) return parseInt(s, 10);
      const t = Date.parse(s);
      if (!Number.isNaN(t)) return Math.max(0, Math.ceil((t - Date.now()) / 1000));
    }
    if (body && typeof body === 'object') {
      for (const k of ['retry_after', 'retryAfter', 'retry_after_s']) {
        const v = Number(body[k]);
        if (Number.isFinite(v) && v >= 0) return Math.ceil(v);
      }
    }
    return null;
  }

  function detailText(body) {
    if (!body || typeof body !== 'object') return '';
    const d = body.detail;
    if (typeof d === 'string') return d;
    // FastAPI validation errors: {"detail": [{"msg": "...", ...}, ...]}
    if (Array.isArray(d)) return d.map((e) => (e && typeof e.msg === 'string' ? e.msg : '')).filter(Boolean).join('; ');
    if (d && typeof d === 'object' && typeof d.detail === 'string') return d.detail;
    return '';
  }

  function errorCodeOf(body) {
    if (!body || typeof body !== 'object') return '';
    if (typeof body.error_code === 'string') return body.error_code;
    if (body.detail && typeof body.detail === 'object' && typeof body.detail.error_code === 'string') {
      return body.detail.error_code;
    }
    return '';
  }

  /** Map a server error code (SSE `error` event or JSON error body) to an interface error key. */
  function keyForErrorCode(code) {
    switch (code) {
      case 'rate_limited':
      case 'too_many_requests':
        return 'rateLimitedNoDelay';
      case 'index_not_built':
      case 'index_mismatch':
      case 'generator_unavailable':
      case 'model_file':
      case 'not_ready':
        return 'notReady';
      case 'question_too_long':
      case 'too_long':
      case 'payload_too_large':
        return 'tooLong';
      case 'invalid_input':
      case 'validation_error':
        return 'invalid';
      case 'unauthorized':
      case 'forbidden':
      case 'invalid_partner_key':
      case 'partner_revoked':
      case 'origin_not_allowed':
        return 'forbidden';
      default:
        return 'server';
    }
  }

  function keyForStatus(status, code) {
    if (status === 429) return 'rateLimited';
    if (status === 401 || status === 403) return 'forbidden';
    if (status === 413) return 'tooLong';
    if (status === 422 || status === 400) {
      return code === 'question_too_long' || code === 'too_long' ? 'tooLong' : 'invalid';
    }
    if (status === 503) return 'notReady';
    if (status >= 500) return 'server';
    return 'generic';
  }

  function storageGet(key) {
    try {
      const raw = window.sessionStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (_) {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      window.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (_) {
      /* storage disabled or full: the conversation just won't survive a reload */
    }
  }

  function storageRemove(key) {
    try {
      window.sessionStorage.removeItem(key);
    } catch (_) {
      /* ignore */
    }
  }

  /* ------------------------------------------------------------------------------------ */
  /* The custom element                                                                   */
  /* ------------------------------------------------------------------------------------ */

  class ExchangeAssistantWidget extends HTMLElement {
    constructor() {
      super();
      this._root = this.attachShadow({ mode: 'open' });
      this._messages = [];
      this._els = new Map();
      this._busy = false;
      this._open = false;
      this._gen = 0;
      this._controller = null;
      this._cooldownUntil = 0;
      this._cooldownTimer = null;
      this._popoverFor = null;
      this._renderQueued = new Set();
      this._rafId = 0;
      this._built = false;
    }

    /* ---- configuration ---- */

    _readConfig() {
      const d = this.dataset;
      const partner = (d.partner || '').trim();
      let lang = (d.lang || document.documentElement.lang || 'en').toLowerCase().slice(0, 2);
      if (!STRINGS[lang]) lang = 'en';
      const primary = (d.primaryColor || '').trim();
      const validPrimary = primary && window.CSS && window.CSS.supports && window.CSS.supports('color', primary) ? primary : '';
      let apiBase = (d.apiBase || '').trim().replace(/\/+$/, '');
      if (!apiBase) apiBase = window.location.origin;
      return {
        partner,
        lang,
        apiBase,
        title: (d.title || '').trim() || STRINGS[lang].defaultTitle,
        greeting: (d.greeting || '').trim() || STRINGS[lang].defaultGreeting,
        pageGreeting: !!(d.greeting || '').trim(),
        primary: validPrimary,
        position: d.position === 'left' ? 'left' : 'right',
      };
    }

    _t(key, params) {
      const table = STRINGS[this._cfg.lang] || STRINGS.en;
      return fmt(key in table ? table[key] : STRINGS.en[key] || key, params);
    }

    connectedCallback() {
      if (this._built) return;
      this._cfg = this._readConfig();
      if (!this._cfg.partner) {
        console.error('[exchange-assistant] Missing data-partner attribute: the widget is disabled.');
        return;
      }
      this._storageKey = STORAGE_PREFIX + this._cfg.partner;
      this._build();
      this._built = true;
      this._restore();
      this._loadPartnerConfig();
    }

    /** At load: is this site allowed (a 401/403 shows the notice and disables the input right
     * away), and the partner's own greeting (set on the server) unless the page gives one.
     * Any other failure keeps the default greeting; questions report their own errors. */
    async _loadPartnerConfig() {
      // A same-origin GET carries no Origin header, which the server requires with a partner key:
      // on the assistant's own origin (the demo page) there is no access to check, only a greeting.
      let sameOrigin = false;
      try {
        sameOrigin = new URL(this._cfg.apiBase, window.location.href).origin === window.location.origin;
      } catch (_) {
        sameOrigin = false;
      }
      if (sameOrigin && this._cfg.pageGreeting) return;
      try {
        const res = await fetch(`${this._cfg.apiBase}/v1/widget/config`, {
          headers: { 'X-Partner-Key': this._cfg.partner },
          credentials: 'omit',
        });
        if (!sameOrigin && (res.status === 401 || res.status === 403)) {
          this._setUnavailable('forbidden');
          return;
        }
        if (!res.ok || this._cfg.pageGreeting) return;
        const data = await res.json();
        const greeting = typeof data.greeting === 'string' ? data.greeting.trim().slice(0, 500) : '';
        if (!greeting) return;
        this._cfg.greeting = greeting;
        const bubble = this._log && this._log.querySelector('[data-testid="greeting"] .bubble');
        if (bubble) bubble.textContent = greeting;
      } catch (_) {
        /* offline or not allowed: the default greeting stays */
      }
    }

    /** Not allowed here (origin not allowed, unknown or revoked key): a notice instead of the
     * greeting, the text field and send button disabled, a dot on the launcher. */
    _setUnavailable(key) {
      this._unavailable = key;
      const text = this._t(`error.${key}`);
      this._input.disabled = true;
      this._input.placeholder = this._t('unavailable');
      this._field.dataset.disabled = 'true';
      this._wrap.dataset.unavailable = 'true';
      this._launcher.setAttribute('aria-label', `${this._t('launcher', { title: this._cfg.title })} — ${text}`);
      this._launcher.setAttribute('title', text);
      if (!this._launcher.querySelector('.dot')) this._launcher.append(h('span', { class: 'dot', 'aria-hidden': 'true' }));
      this._renderAll();
      this._updateSend();
      this._emit('unavailable', { error: key });
    }

    disconnectedCallback() {
      if (this._controller) this._controller.abort();
    }

    /* ---- DOM ---- */

    _build() {
      const t = (k, p) => this._t(k, p);
      const cfg = this._cfg;
      const style = h('style', null, STYLES);

      this._launcher = h(
        'button',
        {
          type: 'button',
          class: 'launcher',
          part: 'launcher',
          'data-testid': 'launcher',
          'aria-label': t('launcher', { title: cfg.title }),
          'aria-expanded': 'false',
          'aria-controls': 'ea-panel',
          onclick: () => (this._open ? this.close() : this.open()),
        },
        icon('chat', 'icon-chat', true),
        icon('close', 'icon-close'),
      );

      this._title = h('h2', { class: 'title', id: 'ea-title', text: cfg.title });
      this._newBtn = h(
        'button',
        {
          type: 'button',
          class: 'hbtn icon-only',
          part: 'new-conversation',
          'data-testid': 'new-conversation',
          title: t('newConversation'),
          onclick: () => {
            this.reset();
            this._input.focus();
          },
        },
        icon('refresh'),
      );
      this._newBtn.setAttribute('aria-label', t('newConversation'));
      this._closeBtn = h(
        'button',
        {
          type: 'button',
          class: 'hbtn icon-only',
          part: 'close',
          'data-testid': 'close',
          'aria-label': t('close'),
          title: t('close'),
          onclick: () => this.close(true),
        },
        icon('close'),
      );

      this._log = h('div', {
        class: 'log',
        part: 'messages',
        'data-testid': 'messages',
        role: 'log',
        'aria-live': 'polite',
        'aria-relevant': 'additions text',
        'aria-busy': 'false',
      });

      this._popover = h('div', {
        class: 'popover',
        part: 'source-popover',
        'data-testid': 'source-popover',
        id: 'ea-source-popover',
        role: 'region',
        tabindex: '-1',
        'aria-labelledby': 'ea-pop-title',
        hidden: true,
      });

      this._scroller = h('div', { class: 'scroller', part: 'scroller' }, this._log, this._popover);

      this._input = h('textarea', {
        id: 'ea-input',
        part: 'input',
        'data-testid': 'input',
        rows: '1',
        maxlength: String(MAX_CHARS),
        placeholder: t('placeholder'),
        'aria-describedby': 'ea-counter',
        autocomplete: 'off',
        spellcheck: 'true',
        lang: cfg.lang,
        oninput: () => this._onInput(),
        onkeydown: (e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
            e.preventDefault();
            this._submit();
          }
        },
      });
      this._send = h(
        'button',
        { type: 'submit', class: 'send', part: 'send', 'data-testid': 'send', 'aria-label': t('send'), title: t('send') },
        icon('send', null, true),
      );
      this._counter = h('span', { class: 'counter', id: 'ea-counter', part: 'counter', 'data-testid': 'counter', hidden: true });

      const form = h(
        'form',
        {
          novalidate: true,
          onsubmit: (e) => {
            e.preventDefault();
            this._submit();
          },
        },
        h('label', { class: 'sr-only', for: 'ea-input', text: t('inputLabel') }),
        (this._field = h('div', { class: 'field' }, this._input)),
        this._send,
      );

      this._panel = h(
        'section',
        {
          class: 'panel',
          part: 'panel',
          'data-testid': 'panel',
          id: 'ea-panel',
          role: 'dialog',
          'aria-modal': 'false',
          'aria-labelledby': 'ea-title',
          hidden: true,
        },
        h(
          'div',
          { class: 'header', part: 'header' },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, icon('globe')),
          this._title,
          this._newBtn,
          this._closeBtn,
        ),
        this._scroller,
        h(
          'div',
          { class: 'composer', part: 'composer' },
          form,
          h('div', { class: 'foot' }, h('span', { class: 'disclaimer', text: t('disclaimer') }), this._counter),
        ),
      );

      this._wrap = h(
        'div',
        { class: 'root', part: 'root', lang: cfg.lang, 'data-position': cfg.position, 'data-open': 'false' },
        this._launcher,
        this._panel,
      );
      if (cfg.primary) this._wrap.style.setProperty('--_primary-default', cfg.primary);

      this._wrap.addEventListener('keydown', (e) => {
        if (e.key !== 'Escape') return;
        if (!this._popover.hidden) {
          e.stopPropagation();
          this._closePopover(true);
        } else if (this._open) {
          e.stopPropagation();
          this.close(true);
        }
      });
      // Close the source popover when clicking elsewhere inside the panel.
      this._panel.addEventListener('mousedown', (e) => {
        if (this._popover.hidden) return;
        const path = e.composedPath();
        if (path.includes(this._popover)) return;
        if (path.some((n) => n instanceof Element && n.classList && n.classList.contains('badge'))) return;
        this._closePopover(false);
      });
      window.addEventListener('resize', () => this._closePopover(false));

      this._root.append(style, this._wrap);
      this._renderAll();
      this._updateSend();
    }

    /* ---- open / close ---- */

    open(focus = true) {
      if (!this._built) return;
      const was = this._open;
      this._open = true;
      this._panel.hidden = false;
      this._launcher.setAttribute('aria-expanded', 'true');
      this._wrap.dataset.open = 'true';
      this._scrollToBottom(true);
      if (focus) this._input.focus();
      this._save();
      if (!was) this._emit('open');
    }

    close(returnFocus = true) {
      if (!this._built) return;
      const was = this._open;
      this._closePopover(false);
      this._open = false;
      this._panel.hidden = true;
      this._launcher.setAttribute('aria-expanded', 'false');
      this._wrap.dataset.open = 'false';
      if (returnFocus) this._launcher.focus();
      this._save();
      if (was) this._emit('close');
    }

    toggle() {
      return this._open ? this.close() : this.open();
    }

    get isOpen() {
      return this._open;
    }

    /* ---- persistence ---- */

    _restore() {
      const saved = storageGet(this._storageKey);
      this._sessionId = (saved && typeof saved.sessionId === 'string' && saved.sessionId) || uid();
      if (saved && Array.isArray(saved.messages)) {
        this._messages = saved.messages
          .filter((m) => m && typeof m === 'object' && ['user', 'assistant', 'error'].includes(m.role))
          .map((m) => ({
            id: str(m.id) || uid(),
            role: m.role,
            content: str(m.content),
            citations: sanitizeCitations(m.citations),
            refused: !!m.refused,
            language: typeof m.language === 'string' ? m.language : null,
            question: str(m.question),
            state: 'done',
            feedback: m.feedback === 'up' || m.feedback === 'down' ? m.feedback : null,
            errorKey: typeof m.errorKey === 'string' ? m.errorKey : null,
            errorParams: m.errorParams && typeof m.errorParams === 'object' ? m.errorParams : null,
            detail: str(m.detail),
          }));
        this._renderAll();
      }
      if (saved && saved.open) this.open(false);
    }

    _save() {
      if (!this._storageKey) return;
      const messages = this._messages
        .filter((m) => m.state !== 'streaming')
        .map((m) => ({
          id: m.id,
          role: m.role,
          content: m.content,
          citations: m.citations,
          refused: m.refused,
          language: m.language,
          question: m.question,
          feedback: m.feedback && m.feedbackState !== 'failed' ? m.feedback : null,
          errorKey: m.errorKey,
          errorParams: m.errorParams,
          detail: m.detail,
        }));
      storageSet(this._storageKey, { v: 1, sessionId: this._sessionId, open: this._open, messages });
    }

    /** Clear the conversation (aborting any request in flight) and start a new session. */
    reset() {
      if (!this._built) return;
      this._gen++;
      if (this._controller) this._controller.abort();
      this._controller = null;
      this._busy = false;
      this._messages = [];
      this._sessionId = uid();
      this._closePopover(false);
      storageRemove(this._storageKey);
      this._renderAll();
      this._log.setAttribute('aria-busy', 'false');
      this._updateSend();
      this._save();
      this._emit('reset');
    }

    /* ---- rendering ---- */

    _renderAll() {
      this._els.clear();
      this._log.textContent = '';
      this._log.append(
        this._unavailable
          ? h(
              'div',
              {
                class: 'msg notice',
                part: 'message notice',
                role: 'alert',
                'data-testid': 'access-notice',
                'data-error': this._unavailable,
              },
              h('div', { class: 'bubble' }, icon('alert', 'err-icon'), h('span', { text: this._t(`error.${this._unavailable}`) })),
            )
          : h(
              'div',
              { class: 'msg greeting', part: 'message greeting', 'data-testid': 'greeting' },
              h('div', { class: 'bubble', text: this._cfg.greeting }),
            ),
      );
      for (const m of this._messages) this._renderMessage(m);
      this._scrollToBottom(true);
    }

    _queueRender(msg) {
      this._renderQueued.add(msg);
      if (this._rafId) return;
      const flush = () => {
        this._rafId = 0;
        const list = Array.from(this._renderQueued);
        this._renderQueued.clear();
        for (const m of list) this._renderMessage(m);
      };
      // requestAnimationFrame pauses in background tabs; fall back to a timer there.
      this._rafIsTimer = document.hidden;
      this._rafId = this._rafIsTimer ? setTimeout(flush, 50) : requestAnimationFrame(flush);
    }

    _renderMessage(msg) {
      this._renderQueued.delete(msg);
      const stick = this._nearBottom();
      const old = this._els.get(msg.id);
      const el = this._buildMessage(msg);
      if (old && old.parentNode) {
        // Preserve keyboard focus on a rebuilt message (e.g. a badge or feedback button).
        const active = this._root.activeElement;
        const focusKey = active && old.contains(active) ? active.getAttribute('data-focus-key') : null;
        const popKey =
          this._popoverFor && old.contains(this._popoverFor) ? this._popoverFor.getAttribute('data-focus-key') : null;
        old.replaceWith(el);
        if (popKey) {
          const again = el.querySelector(`[data-focus-key="${popKey}"]`);
          if (again) {
            again.setAttribute('aria-expanded', 'true');
            this._popoverFor = again;
          } else {
            this._closePopover(false);
          }
        }
        if (focusKey) {
          const again = el.querySelector(`[data-focus-key="${focusKey}"]`);
          if (again && !again.disabled) again.focus();
        }
      } else {
        this._log.append(el);
      }
      this._els.set(msg.id, el);
      if (stick) this._scrollToBottom(true);
    }

    _buildMessage(msg) {
      const t = (k, p) => this._t(k, p);
      if (msg.role === 'user') {
        return h(
          'div',
          { class: 'msg user', part: 'message message-user', 'data-testid': 'message', 'data-role': 'user', 'data-id': msg.id },
          h('span', { class: 'sr-only', text: t('you') }),
          h('div', { class: 'bubble', text: msg.content }),
        );
      }
      if (msg.role === 'error') {
        const children = [
          icon('alert', 'err-icon'),
          h(
            'div',
            null,
            h('span', { class: 'err-text', text: this._errorText(msg) }),
            msg.detail ? h('span', { class: 'err-detail', text: t('details', { detail: msg.detail }) }) : null,
            msg.retryable !== false && RETRYABLE.has(msg.errorKey) && msg.question
              ? h('button', {
                  type: 'button',
                  class: 'retry',
                  part: 'retry',
                  'data-testid': 'retry',
                  'data-focus-key': 'retry',
                  text: t('retry'),
                  onclick: () => this._retry(msg),
                })
              : null,
          ),
        ];
        return h(
          'div',
          {
            class: 'msg error',
            part: 'message message-error error-message',
            'data-testid': 'error-message',
            'data-role': 'error',
            'data-error': msg.errorKey || 'generic',
            'data-id': msg.id,
          },
          h('div', { class: 'bubble' }, children),
        );
      }

      // assistant
      const streaming = msg.state === 'streaming';
      const bubble = h('div', { class: 'bubble' });
      const answer = h('div', { class: 'answer', part: 'answer' });
      if (msg.language) answer.setAttribute('lang', msg.language);
      if (!msg.content && streaming) {
        bubble.append(
          h(
            'span',
            { class: 'typing', 'data-testid': 'typing' },
            h('span', { 'aria-hidden': 'true' }),
            h('span', { 'aria-hidden': 'true' }),
            h('span', { 'aria-hidden': 'true' }),
            h('span', { class: 'sr-only', text: t('thinking') }),
          ),
        );
      } else {
        this._fillAnswer(answer, msg, streaming);
        if (streaming) {
          const lastP = answer.lastElementChild;
          if (lastP) lastP.classList.add('cursor');
        }
        bubble.append(answer);
      }

      if (!streaming && !msg.refused) {
        const sources = this._sourcesFor(msg);
        if (sources.length) bubble.append(this._buildSourceList(msg, sources));
      }

      const el = h(
        'div',
        {
          class: 'msg assistant',
          part: 'message message-assistant',
          'data-testid': 'message',
          'data-role': 'assistant',
          'data-state': streaming ? 'streaming' : 'done',
          'data-refused': msg.refused ? 'true' : 'false',
          'data-id': msg.id,
        },
        h('span', { class: 'sr-only', text: t('assistant') }),
        bubble,
      );
      if (!streaming) el.append(this._buildFeedback(msg));
      return el;
    }

    _fillAnswer(container, msg, streaming) {
      const byN = new Map(msg.citations.map((c) => [c.n, c]));
      const paragraphs = msg.content.split(/\n{2,}/);
      let badgeIndex = 0;
      for (const para of paragraphs) {
        if (!para.trim()) continue;
        const p = h('p');
        let last = 0;
        for (const m of para.matchAll(MARKER_RE)) {
          const nums = m[1].split(/[,;]/).map((s) => parseInt(s.trim(), 10));
          if (!nums.every((n) => byN.has(n))) continue; // unknown number: leave the text as is
          // Drop the space before a marker so the badge hugs the preceding word.
          p.append(para.slice(last, m.index).replace(/[ \t]+$/, ''));
          for (const n of nums) p.append(this._badge(msg, byN.get(n), badgeIndex++));
          last = m.index + m[0].length;
        }
        p.append(para.slice(last));
        container.append(p);
      }
      if (!container.childNodes.length && !streaming) container.append(h('p', { text: msg.content }));
    }

    _badge(msg, c, index) {
      const title = c.title || c.doc_id || this._t('untitled');
      const b = h('button', {
        type: 'button',
        class: 'badge',
        part: 'citation-badge',
        'data-testid': 'citation-badge',
        'data-n': String(c.n),
        'data-focus-key': `badge-${index}-${c.n}`,
        'aria-label': this._t('sourceLabel', { n: c.n, title }),
        'aria-expanded': 'false',
        'aria-controls': 'ea-source-popover',
        text: String(c.n),
      });
      b.addEventListener('click', (e) => {
        e.preventDefault();
        if (this._popoverFor === b) this._closePopover(true);
        else this._openPopover(b, c, msg);
      });
      return b;
    }

    _sourcesFor(msg) {
      if (!msg.citations.length) return [];
      const cited = citedNumbers(msg.content);
      const known = msg.citations.filter((c) => cited.has(c.n));
      return known.length ? known : msg.citations;
    }

    _buildSourceList(msg, sources) {
      const t = (k, p) => this._t(k, p);
      const items = sources.map((c) => {
        const title = c.title || c.doc_id || t('untitled');
        const href = safeHttpUrl(c.url);
        const titleEl = href
          ? h(
              'a',
              { class: 'src-title', href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'source-link' },
              title,
              h('span', { class: 'sr-only', text: ' ' + t('newTab') }),
            )
          : h('span', { class: 'src-title', text: title });
        const date = this._formatDate(c.date);
        return h(
          'li',
          { 'data-testid': 'source-item', 'data-n': String(c.n) },
          h('span', { class: 'src-n', text: `[${c.n}]` }),
          h('span', null, titleEl, date ? h('span', { class: 'src-date', text: ` · ${date}` }) : null),
        );
      });
      return h(
        'div',
        { class: 'sources', part: 'sources', 'data-testid': 'sources' },
        h('h3', { text: t('sources') }),
        h('ol', null, items),
      );
    }

    _buildFeedback(msg) {
      const t = (k, p) => this._t(k, p);
      const done = !!msg.feedback && msg.feedbackState !== 'failed';
      const sending = msg.feedbackState === 'sending';
      const mk = (rating, label) =>
        h('button', {
          type: 'button',
          class: 'fb',
          part: `feedback-${rating}`,
          'data-testid': `feedback-${rating}`,
          'data-focus-key': `fb-${rating}`,
          'aria-label': label,
          title: label,
          'aria-pressed': msg.feedback === rating && msg.feedbackState !== 'failed' ? 'true' : 'false',
          disabled: done || sending,
          onclick: () => this._sendFeedback(msg, rating),
        }, icon(rating));
      const status =
        msg.feedbackState === 'failed'
          ? h('span', { class: 'fb-status failed', role: 'status', 'data-testid': 'feedback-status', text: t('feedbackFailed') })
          : done && !sending
            ? h('span', { class: 'fb-status', role: 'status', 'data-testid': 'feedback-status', text: t('feedbackThanks') })
            : null;
      return h(
        'div',
        { class: 'meta-row', part: 'feedback' },
        mk('up', t('helpful')),
        mk('down', t('notHelpful')),
        status,
      );
    }

    _errorText(msg) {
      const key = msg.errorKey || 'generic';
      const p = Object.assign({ max: MAX_CHARS }, msg.errorParams || {});
      if (key === 'rateLimited') {
        if (typeof p.n !== 'number') return this._t('error.rateLimitedNoDelay');
        const form = new Intl.PluralRules(this._cfg.lang).select(p.n) === 'one' ? 'one' : 'other';
        return this._t(`error.rateLimited.${form}`, p);
      }
      return this._t(`error.${key}`, p);
    }

    _formatDate(d) {
      if (!d || typeof d !== 'string') return '';
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d);
      if (!m) return d;
      try {
        const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
        return new Intl.DateTimeFormat(this._cfg.lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
      } catch (_) {
        return d;
      }
    }

    _languageName(code) {
      if (!code) return '';
      try {
        return new Intl.DisplayNames([this._cfg.lang], { type: 'language' }).of(code) || code;
      } catch (_) {
        return code;
      }
    }

    /* ---- source popover ---- */

    _openPopover(badge, c, msg) {
      const t = (k, p) => this._t(k, p);
      if (this._popoverFor) this._popoverFor.setAttribute('aria-expanded', 'false');
      const pop = this._popover;
      pop.textContent = '';
      const title = c.title || c.doc_id || t('untitled');
      const quotes = c.passages && c.passages.length ? c.passages.map((p) => p.quote) : c.quote ? [c.quote] : [];
      const answerLang = msg && msg.language ? msg.language.slice(0, 2).toLowerCase() : '';
      const quoteLang = c.language ? c.language.slice(0, 2).toLowerCase() : '';
      const otherLang = quoteLang && answerLang && quoteLang !== answerLang;
      const meta = [];
      const date = this._formatDate(c.date);
      if (date) meta.push(t('date', { date }));
      if (c.language) meta.push(t('language', { lang: this._languageName(c.language) }));
      const href = safeHttpUrl(c.url);
      pop.setAttribute('data-n', String(c.n));
      const parts = [
        h(
          'div',
          { class: 'pop-head' },
          h('span', { class: 'badge', 'aria-hidden': 'true', text: String(c.n) }),
          h('h3', { class: 'pop-title', id: 'ea-pop-title' }, h('span', { class: 'sr-only', text: t('sourceHeading', { n: c.n }) + ' — ' }), title),
          h(
            'button',
            {
              type: 'button',
              class: 'pop-close',
              'data-testid': 'source-popover-close',
              'aria-label': t('closeSource'),
              title: t('closeSource'),
              onclick: () => this._closePopover(true),
            },
            icon('close'),
          ),
        ),
        meta.length ? h('p', { class: 'pop-meta', text: meta.join(' · ') }) : null,
        otherLang
          ? h('p', { class: 'quote-lang', 'data-testid': 'quote-language', text: t('quotedIn', { lang: this._languageName(quoteLang) }) })
          : null,
        quotes.length
          ? h(
              'ol',
              { class: 'pop-passages', 'data-testid': 'source-passages' },
              quotes.map((q, i) =>
                h(
                  'li',
                  null,
                  h(
                    'blockquote',
                    {
                      class: 'pop-quote',
                      'data-testid': 'source-quote',
                      lang: c.language || null,
                      'aria-label': quotes.length > 1 ? t('passageN', { i: i + 1, total: quotes.length }) : t('quote'),
                    },
                    q,
                  ),
                ),
              ),
            )
          : null,
        href
          ? h(
              'a',
              { class: 'pop-link', href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'source-link' },
              t('openSource'),
              icon('external'),
              h('span', { class: 'sr-only', text: ' ' + t('newTab') }),
            )
          : c.title
            ? null
            : h('p', { class: 'pop-doc', 'data-testid': 'source-doc-id' }, t('documentId') + ' ', h('code', { text: c.doc_id || c.source })),
      ];
      pop.append(...parts.filter((p) => p !== null && p !== undefined && p !== false));
      pop.hidden = false;
      badge.setAttribute('aria-expanded', 'true');
      this._popoverFor = badge;
      this._positionPopover(badge);
      pop.focus({ preventScroll: true });
    }

    _positionPopover(badge) {
      const pop = this._popover;
      const sc = this._scroller;
      const sr = sc.getBoundingClientRect();
      const br = badge.getBoundingClientRect();
      const pw = pop.offsetWidth;
      const ph = pop.offsetHeight;
      const pad = 10;
      let left = br.left - sr.left + sc.scrollLeft - 16;
      left = Math.max(pad, Math.min(left, sc.clientWidth - pw - pad));
      let top = br.bottom - sr.top + sc.scrollTop + 6;
      const visibleBottom = sc.scrollTop + sc.clientHeight;
      if (top + ph > visibleBottom - pad) {
        const above = br.top - sr.top + sc.scrollTop - ph - 6;
        if (above >= sc.scrollTop + pad) top = above;
      }
      pop.style.left = `${Math.round(left)}px`;
      pop.style.top = `${Math.round(Math.max(pad, top))}px`;
      // Make sure it is entirely visible.
      const popBottom = top + ph;
      if (popBottom > visibleBottom) sc.scrollTop += popBottom - visibleBottom + pad;
    }

    _closePopover(returnFocus) {
      if (!this._popover || this._popover.hidden) return;
      this._popover.hidden = true;
      const badge = this._popoverFor;
      this._popoverFor = null;
      if (badge) {
        badge.setAttribute('aria-expanded', 'false');
        if (returnFocus && badge.isConnected) badge.focus();
      }
    }

    /* ---- input ---- */

    _onInput() {
      const ta = this._input;
      ta.style.height = 'auto';
      ta.style.height = `${Math.min(ta.scrollHeight + 2, 128)}px`;
      const n = ta.value.length;
      if (n >= COUNTER_FROM) {
        this._counter.hidden = false;
        this._counter.textContent = this._t('counter', { n, max: MAX_CHARS });
        this._counter.classList.toggle('limit', n >= MAX_CHARS);
      } else {
        this._counter.hidden = true;
      }
      this._updateSend();
    }

    _updateSend() {
      if (!this._send) return;
      const cooling = Date.now() < this._cooldownUntil;
      this._send.disabled = !!this._unavailable || this._busy || cooling || !this._input.value.trim();
      this._wrap.dataset.busy = this._busy ? 'true' : 'false';
    }

    _submit() {
      if (this._unavailable || this._busy || Date.now() < this._cooldownUntil) return;
      const q = this._input.value.trim();
      if (!q) return;
      this._input.value = '';
      this._onInput();
      // The send button is disabled while the answer streams: keep focus in the text field.
      if (this._root.activeElement === this._send) this._input.focus();
      this.ask(q);
    }

    _startCooldown(seconds) {
      this._cooldownUntil = Date.now() + seconds * 1000;
      clearTimeout(this._cooldownTimer);
      this._cooldownTimer = setTimeout(() => {
        this._cooldownUntil = 0;
        this._updateSend();
      }, seconds * 1000 + 50);
      this._updateSend();
    }

    /* ---- asking ---- */

    _history() {
      const turns = [];
      const ms = this._messages;
      for (let i = 0; i < ms.length; i++) {
        const m = ms[i];
        if (m.role === 'user') {
          const next = ms[i + 1];
          if (next && next.role === 'assistant' && next.state !== 'streaming' && next.content) {
            turns.push({ role: 'user', content: m.content }, { role: 'assistant', content: next.content });
            i++;
          }
        }
      }
      return turns.slice(-HISTORY_TURNS);
    }

    _push(msg) {
      const full = Object.assign(
        {
          id: uid(),
          content: '',
          citations: [],
          refused: false,
          language: null,
          question: '',
          state: 'done',
          feedback: null,
          feedbackState: null,
          errorKey: null,
          errorParams: null,
          detail: '',
        },
        msg,
      );
      this._messages.push(full);
      this._renderMessage(full);
      return full;
    }

    _remove(msg) {
      const i = this._messages.indexOf(msg);
      if (i !== -1) this._messages.splice(i, 1);
      const el = this._els.get(msg.id);
      if (el) el.remove();
      this._els.delete(msg.id);
    }

    _retry(errMsg) {
      if (this._busy) return;
      const i = this._messages.indexOf(errMsg);
      const q = errMsg.question;
      this._remove(errMsg);
      const prev = this._messages[i - 1];
      if (prev && prev.role === 'user' && prev.content === q) this._remove(prev);
      this._save();
      this.ask(q);
      this._input.focus();
    }

    _fail(pending, errorKey, extra = {}) {
      if (pending) this._remove(pending);
      const msg = this._push(
        Object.assign({ role: 'error', errorKey, question: pending ? pending.question : '' }, extra),
      );
      this._emit('error', { error: errorKey, status: extra.status || null, question: msg.question });
    }

    /**
     * Ask a question. Streams the answer into the conversation.
     * Resolves when the exchange is finished (answered or failed).
     */
    async ask(question) {
      if (!this._built) return;
      const q = String(question || '').trim();
      if (!q || this._busy || this._unavailable) return;
      if (!this._open) this.open(false);
      this._closePopover(false);

      const history = this._history();
      const gen = ++this._gen;
      this._push({ role: 'user', content: q });
      this._scrollToBottom(true);

      if (q.length > MAX_CHARS) {
        this._fail(null, 'tooLong', { question: q });
        this._save();
        return;
      }

      const pending = this._push({ role: 'assistant', state: 'streaming', question: q });
      this._busy = true;
      this._updateSend();
      this._log.setAttribute('aria-busy', 'true');
      this._save();
      this._emit('question', { question: q });

      const controller = new AbortController();
      this._controller = controller;
      let timedOut = false;
      let timer = 0;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, IDLE_TIMEOUT_MS);
      };
      const stale = () => gen !== this._gen;
      let finished = false;

      const finish = () => {
        clearTimeout(timer);
        if (stale()) return;
        this._busy = false;
        this._controller = null;
        this._log.setAttribute('aria-busy', 'false');
        this._updateSend();
        this._save();
      };

      arm();
      let res;
      try {
        res = await fetch(`${this._cfg.apiBase}/v1/ask/stream`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'text/event-stream',
            'X-Partner-Key': this._cfg.partner,
          },
          body: JSON.stringify({ question: q, history }),
          credentials: 'omit',
          cache: 'no-store',
          signal: controller.signal,
        });
      } catch (err) {
        if (!stale()) this._fail(pending, timedOut ? 'timeout' : 'network');
        finish();
        return;
      }
      if (stale()) return;

      if (!res.ok) {
        let body = null;
        try {
          body = await res.json();
        } catch (_) {
          body = null;
        }
        if (stale()) return;
        const code = errorCodeOf(body);
        const key = keyForStatus(res.status, code);
        const extra = { status: res.status };
        if (key === 'rateLimited') {
          const secs = parseRetryAfter(res.headers.get('Retry-After'), body);
          if (secs !== null) {
            extra.errorParams = { n: Math.max(1, secs) };
            this._startCooldown(Math.max(1, secs));
          }
        }
        if (key === 'invalid' || key === 'tooLong') {
          const d = detailText(body);
          if (d) extra.detail = d.slice(0, 300);
        }
        this._fail(pending, key, extra);
        finish();
        return;
      }

      const type = (res.headers.get('Content-Type') || '').toLowerCase();
      if (type.includes('application/json')) {
        // Tolerate a non-streaming answer (same shape as the `done` event plus citations).
        try {
          const data = await res.json();
          if (stale()) return;
          if (data && Array.isArray(data.citations)) pending.citations = sanitizeCitations(data.citations);
          this._complete(pending, data);
          finished = true;
        } catch (_) {
          if (!stale()) this._fail(pending, 'server');
        }
        finish();
        return;
      }
      if (!res.body || !res.body.getReader) {
        this._fail(pending, 'server');
        finish();
        return;
      }

      const reader = res.body.getReader();
      const decoder = new TextDecoder('utf-8');
      let failedByEvent = false;
      const parser = createSSEParser((name, raw) => {
        if (finished || failedByEvent || stale()) return;
        let data = null;
        try {
          data = JSON.parse(raw);
        } catch (_) {
          data = null;
        }
        if (name === 'token') {
          const text = data && typeof data.text === 'string' ? data.text : '';
          if (text) {
            pending.content += text;
            this._queueRender(pending);
          }
        } else if (name === 'citations') {
          if (data) {
            pending.citations = sanitizeCitations(data.citations);
            this._queueRender(pending);
          }
        } else if (name === 'done') {
          finished = true;
          this._complete(pending, data || {});
        } else if (name === 'error') {
          failedByEvent = true;
          const code = data && typeof data.error_code === 'string' ? data.error_code : '';
          this._fail(pending, keyForErrorCode(code), { code });
        }
      });

      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (stale()) {
            reader.cancel().catch(() => {});
            return;
          }
          arm();
          parser.push(decoder.decode(value, { stream: true }));
          if (finished || failedByEvent) {
            reader.cancel().catch(() => {});
            break;
          }
        }
        if (!finished && !failedByEvent) {
          parser.push(decoder.decode());
          parser.end();
        }
      } catch (err) {
        if (stale()) return;
        if (!finished && !failedByEvent) this._fail(pending, timedOut ? 'timeout' : 'interrupted');
        finish();
        return;
      }
      if (stale()) return;
      if (!finished && !failedByEvent) this._fail(pending, 'interrupted');
      finish();
    }

    _complete(pending, data) {
      if (this._rafId) {
        if (this._rafIsTimer) clearTimeout(this._rafId);
        else cancelAnimationFrame(this._rafId);
        this._rafId = 0;
        this._renderQueued.clear();
      }
      // The final text is authoritative: unsupported sentences may have been removed.
      if (typeof data.answer === 'string') pending.content = data.answer;
      if (Array.isArray(data.citations)) pending.citations = sanitizeCitations(data.citations);
      pending.refused = !!data.refused;
      pending.language = typeof data.language === 'string' ? data.language : null;
      pending.state = 'done';
      this._renderMessage(pending);
      this._emit('answer', {
        question: pending.question,
        answer: pending.content,
        refused: pending.refused,
        citations: pending.citations,
        language: pending.language,
      });
    }

    /* ---- feedback ---- */

    async _sendFeedback(msg, rating) {
      if (msg.feedback && msg.feedbackState !== 'failed') return;
      const hadFocus = this._root.activeElement !== null;
      msg.feedback = rating;
      msg.feedbackState = 'sending';
      this._renderMessage(msg);
      let ok = false;
      try {
        const res = await fetch(`${this._cfg.apiBase}/v1/feedback`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Partner-Key': this._cfg.partner },
          body: JSON.stringify({
            rating,
            question: msg.question,
            answer: msg.content,
            citations: msg.citations,
            session_id: this._sessionId,
          }),
          credentials: 'omit',
          cache: 'no-store',
        });
        ok = res.ok;
      } catch (_) {
        ok = false;
      }
      if (!this._messages.includes(msg)) return; // conversation was reset meanwhile
      msg.feedbackState = ok ? 'sent' : 'failed';
      if (!ok) msg.feedback = null;
      this._renderMessage(msg);
      // The clicked button is now disabled: keep keyboard focus inside the widget, on the status.
      if (hadFocus && this._root.activeElement === null && this._open) {
        const el = this._els.get(msg.id);
        const target = ok ? el && el.querySelector('.fb-status') : el && el.querySelector(`[data-testid="feedback-${rating}"]`);
        if (target) {
          if (ok) target.setAttribute('tabindex', '-1');
          target.focus({ preventScroll: true });
        }
      }
      this._save();
      if (ok) this._emit('feedback', { rating, question: msg.question, answer: msg.content });
    }

    /* ---- misc ---- */

    _nearBottom() {
      const s = this._scroller;
      return !s || s.scrollHeight - s.scrollTop - s.clientHeight < 80;
    }

    _scrollToBottom(force) {
      const s = this._scroller;
      if (!s) return;
      if (force || this._nearBottom()) s.scrollTop = s.scrollHeight;
    }

    _emit(name, detail) {
      this.dispatchEvent(
        new CustomEvent(`exchange-assistant:${name}`, { bubbles: true, composed: true, detail: detail || {} }),
      );
    }
  }

  /* ------------------------------------------------------------------------------------ */
  /* Registration and auto-mount                                                          */
  /* ------------------------------------------------------------------------------------ */

  if (!customElements.get(TAG)) customElements.define(TAG, ExchangeAssistantWidget);

  if (!window.ExchangeAssistantWidget) {
    const first = () => document.querySelector(TAG);
    Object.defineProperty(window, 'ExchangeAssistantWidget', {
      configurable: true,
      value: Object.freeze({
        version: VERSION,
        get element() {
          return first();
        },
        open: () => first() && first().open(),
        close: () => first() && first().close(false),
        toggle: () => first() && first().toggle(),
        ask: (q) => (first() ? first().ask(q) : Promise.resolve()),
        reset: () => first() && first().reset(),
      }),
    });
  }

  function apiBaseFromScript(s) {
    if (s.dataset.apiBase) return s.dataset.apiBase;
    try {
      const u = new URL(s.src, document.baseURI);
      // https://host/widget.js -> https://host ; https://host/prefix/widget.js -> https://host/prefix
      const dir = u.pathname.replace(/\/[^/]*$/, '');
      return u.origin + dir;
    } catch (_) {
      return window.location.origin;
    }
  }

  function mount() {
    const s = currentScript;
    if (!s || !s.dataset || !s.dataset.partner) {
      // Fine when the page places <exchange-assistant-widget data-partner=…> itself.
      if (s && s.src && !document.querySelector(TAG)) {
        console.error('[exchange-assistant] Missing data-partner attribute on the script tag.');
      }
      return;
    }
    // Do not mount twice (script included twice, or an element already placed by hand).
    const existing = Array.from(document.querySelectorAll(TAG)).some((e) => e.dataset.partner === s.dataset.partner);
    if (existing) return;
    const el = document.createElement(TAG);
    for (const k of ['partner', 'title', 'greeting', 'lang', 'primaryColor', 'position']) {
      if (s.dataset[k]) el.dataset[k] = s.dataset[k];
    }
    el.dataset.apiBase = apiBaseFromScript(s);
    document.body.appendChild(el);
  }

  if (currentScript && currentScript.src) {
    if (document.body) mount();
    else document.addEventListener('DOMContentLoaded', mount, { once: true });
  }
})();
