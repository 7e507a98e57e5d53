"""The application's views: Generate (with its detail panel), Batch & export, Train."""
