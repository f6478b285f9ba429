/** The pure workflow core: definitions, validation, transitions, working time, deadlines. */
export * from './definition';
export * from './errors';
export * from './validate';
export * from './engine';
export * from './calendar';
export * from './holidays-vn';
export * from './deadline';
export * from './examples';
