// Sample photos for the demo's photos API: small SVG drawings as data URIs, so the demo needs no network.

const svg = (body) =>
  `data:image/svg+xml;base64,${Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 220" width="320" height="220">${body}</svg>`,
  ).toString('base64')}`;

const gradient = (id, top, bottom) =>
  `<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs>`;

export const samplePhotos = [
  {
    id: 'sunset-bay',
    title: 'Sunset over the bay',
    taken: '2024-07-14',
    url: svg(
      `${gradient('s', '#ff9a5a', '#ffd27a')}<rect width="320" height="220" fill="url(#s)"/>` +
        `<circle cx="160" cy="130" r="42" fill="#fff3c4"/><rect y="140" width="320" height="80" fill="#2f6f8f"/>` +
        `<path d="M0 150 Q80 140 160 150 T320 150" stroke="#9fd3e6" stroke-width="3" fill="none"/>`,
    ),
  },
  {
    id: 'mountain-lake',
    title: 'Mountain lake',
    taken: '2024-08-02',
    url: svg(
      `${gradient('m', '#8fd3ff', '#e6f6ff')}<rect width="320" height="220" fill="url(#m)"/>` +
        `<path d="M0 150 L90 50 L150 130 L210 70 L320 150 Z" fill="#5b6b7a"/><path d="M90 50 L110 75 L70 75 Z M210 70 L228 92 L192 92 Z" fill="#fff"/>` +
        `<rect y="150" width="320" height="70" fill="#3a8fb7"/>`,
    ),
  },
  {
    id: 'forest-path',
    title: 'Forest path',
    taken: '2024-10-19',
    url: svg(
      `<rect width="320" height="220" fill="#cfe8c0"/>` +
        `<path d="M140 220 L160 110 L180 220 Z" fill="#d9b98a"/>` +
        `${[10, 60, 200, 250].map((x) => `<path d="M${x} 200 L${x + 30} 60 L${x + 60} 200 Z" fill="#2f7d4a"/>`).join('')}`,
    ),
  },
  {
    id: 'night-sky',
    title: 'Night sky',
    taken: '2025-01-03',
    url: svg(
      `${gradient('n', '#0b1340', '#2a3a7a')}<rect width="320" height="220" fill="url(#n)"/>` +
        `<circle cx="250" cy="50" r="22" fill="#f5f3ce"/>` +
        `${[[40, 40], [90, 80], [150, 30], [200, 100], [60, 130], [120, 150], [280, 140], [180, 60]].map(([x, y]) => `<circle cx="${x}" cy="${y}" r="2" fill="#fff"/>`).join('')}` +
        `<path d="M0 200 L70 160 L130 190 L200 150 L320 200 L320 220 L0 220 Z" fill="#111"/>`,
    ),
  },
];
