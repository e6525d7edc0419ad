// Modules Vite bundles that TypeScript does not read: stylesheets, and the world-atlas TopoJSON (typed loosely, so the
// compiler does not infer a type from 100 KB of JSON).

declare module '*.css';

declare module 'world-atlas/countries-110m.json' {
  const topology: unknown;
  export default topology;
}
