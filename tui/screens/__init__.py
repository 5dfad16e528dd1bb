"""The console's dialogs: fixing a fact, a resolution note, finding a shopper."""
