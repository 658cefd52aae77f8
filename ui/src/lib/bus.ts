/** Fans the `store-changed` topics out to the views on screen (one Tauri listener for the app). */
export interface TopicBus {
  subscribe(handler: (topics: string[]) => void): () => void;
  publish(topics: string[]): void;
}

export function createTopicBus(): TopicBus {
  const handlers = new Set<(topics: string[]) => void>();
  return {
    subscribe(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
    publish(topics) {
      for (const handler of [...handlers]) handler(topics);
    },
  };
}
