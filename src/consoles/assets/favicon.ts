/** The service's icon (`/favicon.svg`, linked from every page): a door in the consoles' header colours. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#1d2433"/>
<path d="M9 27V6.5L21 4v23z" fill="#2456d3"/>
<path d="M21 7h3v20" fill="none" stroke="#fff" stroke-width="2" stroke-linejoin="round"/>
<path d="M7 27h18" stroke="#fff" stroke-width="2" stroke-linecap="round"/>
<circle cx="18" cy="16" r="1.6" fill="#fff"/>
</svg>
`;
