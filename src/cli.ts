import { main } from './main.js';

/** Entry point of `npm start` and `npx deploybot`. */
await main();
