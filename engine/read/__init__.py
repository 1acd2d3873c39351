"""The read side: what pages, exports and the command line show. It reads records and never changes them."""
