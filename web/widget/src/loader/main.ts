// Entry of dist/loader.js (an IIFE). Anything that goes wrong stays here.
import { start } from './loader';

try {
  start(window);
} catch {
  // the chat box is not worth breaking the shop's page
}
