  boot();
})(window, document);
